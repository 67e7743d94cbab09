package generated

p := false
