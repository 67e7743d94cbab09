package x
p := [1, 2
q if { 1 ==  }
r := {"a": }
