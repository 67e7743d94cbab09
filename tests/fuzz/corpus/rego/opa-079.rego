package test.l1.l3

g(__local112__) := __local112__
