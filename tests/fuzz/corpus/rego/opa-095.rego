package generated

p(x) if {
	y := data.generated.q(x)
}

q(_) if {
	false
}

else := true

q(_) if {
	false
}

else := false
