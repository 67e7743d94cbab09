package test

p := glob.match("*?*", [".", "/"], "api.github.com")
