package generated

cases := {
	"int, fraction": [3, 3.5],
	"fraction, fraction": [3.25, 3.5],
	"trailing zero": [3.50, 3.5],
	"exponent": [1e2, 100],
	"exponent, fraction": [1E+2, 100.0],
	"negative exponent": [1e-1, 0.10],
	"close": [0.1, 0.10000000000001],
	"signs": [-2.5, 2.5],
	"negatives": [-2.5, -2.25],
	"negative zero": [-0, 0],
	"zero, fraction": [0.0, 0.001],
	"negative fraction, zero": [-0.001, 0],
	"leading zeros after the point": [0.000000000000001, 0.000000000000002],
	"fewer leading zeros": [0.01, 0.001],
	"fewer leading zeros, negative": [-0.5, -0.05],
	"zero, negative": [0, -0.001],
	"negative zero, negative": [-0, -2.5],
	"15 digits": [123456789012345, 123456789012345.5],
	"15 digits, exponent": [999999999999999, 1e15],
	"magnitudes": [1e299, 1e-299],
	"negative magnitudes": [-1e299, 1e-299],
	"beyond float64 exponent": [1e400, 1e399],
	"tiny": [1e-400, 0],
	"more than 15 digits": [0.1234567890123456789, 0.1234567890123456788],
	"integers beyond int64": [1234567890123456789012, 1234567890123456789013],
}

p := {label: order(pair[0], pair[1]) | some label, pair in cases}

order(a, b) := -1 if lt(a, b)

order(a, b) := 1 if gt(a, b)

order(a, b) := 0 if equal(a, b)
