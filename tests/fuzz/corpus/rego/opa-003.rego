package test

p if {
	1 in {"foo": 1}
}
