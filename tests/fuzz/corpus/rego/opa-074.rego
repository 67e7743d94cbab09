package test.omit_result

f(__local120__) := __local120__

p if {
	data.test.omit_result.f(1)
}
