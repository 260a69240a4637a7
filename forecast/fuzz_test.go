package forecast

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

// FuzzModels feeds arbitrary float series (8 bytes each, up to 64 values)
// to every model and to Select: nothing may panic, series with an infinity
// must be rejected, forecasts must have h steps, and intervals must be
// ordered whenever their bounds are numbers.
func FuzzModels(f *testing.F) {
	enc := func(vs ...float64) []byte {
		b := make([]byte, 0, 8*len(vs))
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
		}
		return b
	}
	nan, inf := math.NaN(), math.Inf(1)
	f.Add(enc(), uint8(3))
	f.Add(enc(1), uint8(1))
	f.Add(enc(1, 2), uint8(2))
	f.Add(enc(1, nan, 3), uint8(4))
	f.Add(enc(5, 5, 5, 5, 5, 5, 5, 5, 5, 5), uint8(3))
	f.Add(enc(1, inf, 3, 4, 5, 6), uint8(2))
	f.Add(enc(-inf, 1, 2, 3), uint8(2))
	f.Add(enc(nan, nan, nan, nan, nan), uint8(1))
	f.Add(enc(1e308, -1e308, 1e308, -1e308, 1e308, -1e308, 1e308), uint8(5))
	f.Add(enc(2, 4, 4, 6, 5, 9, 7, 10, 9, 12, 11, 14), uint8(6))
	f.Add(enc(1e-320, 0, 1e-320, 0, 5e-324, 0), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, hb uint8) {
		n := min(len(data)/8, 64)
		y := make([]float64, n)
		hasInf := false
		for i := range y {
			y[i] = math.Float64frombits(binary.LittleEndian.Uint64(data[8*i:]))
			hasInf = hasInf || math.IsInf(y[i], 0)
		}
		h := int(hb%12) + 1
		models := []Model{&Naive{}, &SeasonalNaive{Period: 2}, &Linear{}, &SES{}, &SES{Alpha: 0.4}, &Theta{}, &Holt{}, &Holt{Alpha: 0.5, Beta: 0.1},
			&HoltWinters{Period: 2}, &HoltWinters{Period: 3, Alpha: 0.3, Beta: 0.1, Gamma: 0.2}}
		for _, m := range models {
			err := m.Fit(y)
			if hasInf && !errors.Is(err, ErrNonFinite) {
				t.Fatalf("%s: Fit(%v) = %v, want ErrNonFinite", m.Name(), y, err)
			}
			if countObserved(y) < 2 && err == nil {
				t.Fatalf("%s: Fit(%v) succeeded on fewer than 2 observations", m.Name(), y)
			}
			p := m.Forecast(h, 0.9)
			if err != nil {
				if p != nil {
					t.Fatalf("%s: forecast after failed Fit: %v", m.Name(), p)
				}
				continue
			}
			if len(p) != h {
				t.Fatalf("%s: %d predictions, want %d", m.Name(), len(p), h)
			}
			for i, q := range p {
				if !math.IsNaN(q.Lower) && !math.IsNaN(q.Upper) && !(q.Lower <= q.Mean && q.Mean <= q.Upper) && finite(q.Mean) {
					t.Fatalf("%s: step %d: unordered interval %+v on %v", m.Name(), i+1, q, y)
				}
			}
		}
		_, rep, err := Select(y, models, BacktestOptions{Horizon: h % 4, Period: 2})
		if hasInf && !errors.Is(err, ErrNonFinite) {
			t.Fatalf("Select(%v) = %v, want ErrNonFinite", y, err)
		}
		if err == nil && (rep.Best < 0 || rep.Best >= len(models) || rep.Scores[rep.Best].Err != nil) {
			t.Fatalf("Select chose %d: %+v", rep.Best, rep.Scores)
		}
		_, _ = EWMA(y, EWMAOptions{Baseline: len(y) / 2})
		_, _ = CUSUM(y, CUSUMOptions{Baseline: len(y) / 2})
	})
}
