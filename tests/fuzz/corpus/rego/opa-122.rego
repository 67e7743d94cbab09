package test

p := glob.match("***", ["."], "")
