package generated

p contains x if {
	glob.match("*.github.com", ["."], "api.not-github.com", x)
}
