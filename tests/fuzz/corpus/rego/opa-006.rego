package test

p if {
	1, 2 in [2] in [false, true]
}
