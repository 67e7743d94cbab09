package test

p := x if {
	some {"a": x} in data.array
}
