# The same policy as policy.yaml, in Rego (tests/integration/rego_vs_yaml.sh).
package polc.network

import rego.v1

default allow := false

deny contains "no uploads" if {
	input.host == "uploads.github.com"
	input.port == 443
}

allow if {
	input.host in data.https_hosts
	input.port == 443
}

allow if {
	input.host == "pypi.org"
	input.port in {80, 443}
	input.method in {"GET", "HEAD"}
	startswith(input.path, "/simple/")
}

allow if {
	glob.match("**.corp.example", ["."], input.host)
	input.port >= 8000
	input.port <= 8080
}

allow if {
	net.cidr_contains("10.1.0.0/16", input.host)
	input.port == 22
}

allow if {
	input.host == "registry.npmjs.org"
	input.port == 443
	input.method == "GET"
	glob.match("/*/-/*.tgz", ["/"], input.path)
}
