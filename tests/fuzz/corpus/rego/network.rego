package polc.network

import rego.v1

# Hosts the agent may reach over HTTPS, from data.yaml.
default allow := false

allow if {
	input.host in data.https_hosts
	input.port == 443
}

# Package index: reads only.
allow if {
	input.host == "pypi.org"
	input.port in {80, 443}
	input.method in {"GET", "HEAD"}
	startswith(input.path, "/simple/")
}

# Any subdomain of the internal zone, on the high ports.
allow if {
	endswith(input.host, ".corp.example")
	input.port >= 8000
	input.port <= 8080
}

allow if {
	net.cidr_contains("10.1.0.0/16", input.host)
	input.port == 22
}

deny contains msg if {
	input.host == "uploads.github.com"
	msg := sprintf("uploads are blocked (%s)", [input.path])
}
