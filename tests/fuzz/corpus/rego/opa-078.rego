package test

samepkg := y if {
	data.test.foo("how do you do?", y)
}
