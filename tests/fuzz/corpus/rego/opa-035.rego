package test

p := x if {
	some x, "ever" in {"foo": 100, "what": "ever"}
}
