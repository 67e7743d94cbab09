package test

p := glob.match("a/**/b", null, "a/b")
