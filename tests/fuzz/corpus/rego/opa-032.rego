package test

p if {
	some {"foo": 100} in [{"foo": 100}]
}
