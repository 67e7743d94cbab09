package test

p := x if {
	x := 1 in {2}
}
