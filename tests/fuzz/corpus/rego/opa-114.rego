package test

p := glob.match("?", null, "")
