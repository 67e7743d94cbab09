package test

default f(x) := 1

p if {
	f(2) == 1
}
