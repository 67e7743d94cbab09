package test

p := [x, y, i] if {
	some i
	some y, {"c": x} in data.object[i]
}
