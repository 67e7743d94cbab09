package generated

p contains x if {
	net.cidr_contains("2001:4860:4860::8888/32", "2001:4860:4860:1234::8888/40", x)
}
