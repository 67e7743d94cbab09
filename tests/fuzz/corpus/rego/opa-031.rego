package test

p := x if {
	some {"foo": x, "what": y} in [{"foo": 100, "what": "ever"}]
}
