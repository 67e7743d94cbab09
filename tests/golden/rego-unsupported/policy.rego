package polc.network

import rego.v1

allow if {
	input.host == "api.example.com"
	input.protocol == "https"
}

allow if {
	some header in input.headers
	header == "x-ok"
}

allow if {
	glob.match("*.example.com", ["."], input.host)
}

deny contains "no" if {
	not input.host == "ok.example.com"
}
