package test

p(x) if {
	y := data.test.q(x)
}

xs := {1, 2}

q(_) := xs[_]
