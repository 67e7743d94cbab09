package test

p := glob.match("*", [".", "/"], "a/b")
