package ex

vars if {
	false
} else := ["hello", x] if {
	data.b.v2 = x
}
