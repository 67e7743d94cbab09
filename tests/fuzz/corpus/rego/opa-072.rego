package ex

fn_result := [x, y, z] if {
	data.ex.fn(101, true, x)
	data.ex.fn(100, true, y)
	data.ex.fn(100, false, z)
}

fn(x, y) := "large" if {
	x > 100
} else := "small" if {
	y = true
} else := "medium"
