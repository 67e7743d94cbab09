package generated

p := 66.66667
