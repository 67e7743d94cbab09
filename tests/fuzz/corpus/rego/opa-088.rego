package test

default f(x) := 1

f(x) := x if {
	x > 0
}

p if {
	f(2) == 2
}
