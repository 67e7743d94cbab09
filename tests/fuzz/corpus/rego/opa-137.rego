package generated

p := x if {
	net.cidr_contains("192.168.1.0/28", "not-a-cidr", x)
}
