package test

strings_set contains str if {
	str := input.strings[_]
}

prefixes_set contains prefix if {
	prefix := input.prefixes[_]
}

p if {
	strings.any_prefix_match(strings_set, prefixes_set)
}
