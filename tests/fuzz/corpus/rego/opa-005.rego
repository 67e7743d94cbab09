package test

p if {
	1, "two" in ["one", "two", "three"]
}
