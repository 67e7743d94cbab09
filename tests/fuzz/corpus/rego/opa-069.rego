package ex

default default_2 := 2

default_2 if {
	false
}

default_2 := 1 if {
	false
}
