package generated

p contains x if {
	data.f[i] = x
}
