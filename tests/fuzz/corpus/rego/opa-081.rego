package test.l1.l3

g(__local154__) := __local154__
