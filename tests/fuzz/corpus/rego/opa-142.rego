package generated

p contains x if {
	data.b[i] = x
}
