package x
import rego.v1
f(x) := y if { y := x * 2 } else := 0
s contains v if { some k, v in {"a": [1, {2, 3}]}; every z in [1] { z > 0 } }
t := {k: v | some k, v in data.m; not startswith(k, "_")}
