package ex

conflict_2 if {
	false
}

else := false

conflict_2 if {
	false
}

else := true
