package test.omit_result

f(__local166__) := __local166__

p if {
	data.test.omit_result.f(1)
}
