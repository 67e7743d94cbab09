package generated

p := true
