package forecast

import (
	"math"
	"testing"
)

func TestTQuantile(t *testing.T) {
	for _, tc := range []struct {
		name  string
		p, df float64
		want  float64
	}{
		// Closed forms: df = 1 is Cauchy, tan(π(p − ½)); df = 2 is
		// (2p − 1)/√(2p(1 − p)).
		{"cauchy 0.975", 0.975, 1, math.Tan(math.Pi * 0.475)},
		{"cauchy 0.9995", 0.9995, 1, math.Tan(math.Pi * 0.4995)},
		{"df 2 0.975", 0.975, 2, 0.95 / math.Sqrt(2*0.975*0.025)},
		{"df 2 0.9", 0.9, 2, 0.8 / math.Sqrt(2*0.9*0.1)},
		{"df 2 lower tail", 0.1, 2, -0.8 / math.Sqrt(2*0.9*0.1)},
		// Reference values from mpmath (regularised incomplete beta, 30 digits).
		{"df 10", 0.975, 10, 2.2281388519862742},
		{"df 30", 0.975, 30, 2.0422724563012379},
		{"df 5 0.995", 0.995, 5, 4.0321429835552272},
		{"df 1000", 0.975, 1000, 1.9623390808264081},
		{"df 5000 expansion", 0.975, 5000, 1.9604385517065075}, {"df 2000 expansion", 0.975, 2000, 1.9611508260994377},
		{"median", 0.5, 7, 0},
		{"p out of range", 1, 7, math.NaN()},
		{"df zero", 0.9, 0, math.NaN()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tQuantile(tc.p, tc.df); !near(got, tc.want, 1e-10) {
				t.Errorf("tQuantile(%v, %v) = %.12g, want %.12g", tc.p, tc.df, got, tc.want)
			}
		})
	}
	// The expansion above 1000 df meets the bisection continuously.
	if a, b := tQuantile(0.975, 1000), tQuantile(0.975, 1000.0001); !near(a, b, 1e-9) {
		t.Errorf("discontinuity at 1000 df: %v vs %v", a, b)
	}
}

func TestLevelQuantile(t *testing.T) {
	if got := levelQuantile(0.95); !near(got, z975, 1e-12) {
		t.Errorf("levelQuantile(0.95) = %v", got)
	}
	if got := levelQuantile(0.8); !near(got, 1.2815515655446004, 1e-12) {
		t.Errorf("levelQuantile(0.8) = %v", got)
	}
}
