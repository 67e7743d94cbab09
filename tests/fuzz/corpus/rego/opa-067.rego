package ex

refs if {
	false
} else := __local6__ if {
	true
	__local7__ = data.b.v2
	__local6__ = ["hello", __local7__]
}
