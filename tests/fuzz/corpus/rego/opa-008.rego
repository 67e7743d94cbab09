package test

p if {
	("foo", 2 in {"foo": 2}) in [true]
}
