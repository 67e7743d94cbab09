package test

p := x if {
	x := (1, "foo" in 1)
}
