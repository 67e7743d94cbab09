package generated

default p := 0

p := 1

p := 2 if {
	false
}
