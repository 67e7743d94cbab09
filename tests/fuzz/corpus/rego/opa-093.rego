package generated

p(_) if {
	data.generated.q
}

q if {
	false
}

else := true

q if {
	false
}

else := false
