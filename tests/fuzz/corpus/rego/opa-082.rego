package test.l1.l2

p := true

f(__local160__) := __local160__
