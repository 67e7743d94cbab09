package test

default f(_, _) := 1

f(x, y) := x if {
	x == y
}

p if {
	f(2, 2) == 2
}
