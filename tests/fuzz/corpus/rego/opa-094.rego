package generated

p(x) if {
	y := data.generated.q(x)
}

q(_) := true

q(_) := false
