package test

p := glob.match("[!0-9]", null, "")
