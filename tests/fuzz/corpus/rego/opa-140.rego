package generated

p contains x if {
	data.a[x] = _
}
