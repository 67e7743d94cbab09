package test

default p.q.r.f(x) := 100
