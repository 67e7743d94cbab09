package test

p if {
	some numbers.range(1, 1) in [[1]]
}
