package test

p if {
	{1} - 1
}
