package generated

p := x if {
	net.cidr_contains("not-a-cidr", "192.168.1.67", x)
}
