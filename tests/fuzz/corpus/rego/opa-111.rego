package generated

p contains x if {
	glob.match("*", [], "foo.bar", x)
}
