package generated

p contains x if {
	glob.match("[!abc]at", [], "cat", x)
}
