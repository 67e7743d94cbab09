package test

p := glob.match("**/x", null, "x")
