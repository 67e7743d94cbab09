package test

p if {
	{"foo": {"baz": 2000}} in [{"foo": {"baz": 2000}}]
}
