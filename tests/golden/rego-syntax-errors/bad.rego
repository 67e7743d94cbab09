package polc.network

allow if {
	input.host == "a.example"
	input.port == 
}

allow if input.host in {"b.example", 
default allow := false

deny contains msg if {
	input.host == "evil.example"
	msg := "no
}

p := [1, 2
q := {"a": 1}}
