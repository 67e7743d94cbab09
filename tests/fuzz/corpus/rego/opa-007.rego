package test

p if {
	(0, 2 in [2]) in [true]
}
