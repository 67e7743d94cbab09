package polc.network

import rego.v1

allow if {
	input.host == 
}
