package test

p := x if {
	x := 1 in {"foo": 2}
}
