package ex

default default_1 := 1

default_1 if {
	false
}

default_1 := 2
