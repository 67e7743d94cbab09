package generated

p contains x if {
	data.b[x] = _
}
