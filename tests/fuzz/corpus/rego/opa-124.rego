package test

p := glob.match("*?*", [".", "/"], "abc")
