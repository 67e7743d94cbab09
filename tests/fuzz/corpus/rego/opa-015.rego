package test

p if {
	not "foo" in ["fox"]
}
