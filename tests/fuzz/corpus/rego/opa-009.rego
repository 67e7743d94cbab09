package test

p if {
	"foo", (2 in {"bar": 2}) in {"foo": true}
}
