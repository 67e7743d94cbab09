package generated

p(_) if {
	data.generated.q
}

q := true

q := false
