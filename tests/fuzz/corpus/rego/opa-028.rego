package test

p if {
	some "foo" in ["foo"]
}
