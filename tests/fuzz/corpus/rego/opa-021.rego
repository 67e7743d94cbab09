package test

p if {
	f(1, 1 in [2])
}

f(_, _) := true
