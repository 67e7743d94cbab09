package test

p if {
	x := "foo"
	xs := ["foo", "bar"]
	x in xs
}
