package p

f(x) if {
	r = input.that_is_not_there
}
