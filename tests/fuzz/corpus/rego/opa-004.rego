package test

p if {
	"foo", 1 in {"foo": 1}
}
