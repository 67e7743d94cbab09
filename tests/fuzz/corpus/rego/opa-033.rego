package test

p if {
	some {"foo": 0} in [{"foo": 100}]
}
