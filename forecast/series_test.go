package forecast

import (
	"errors"
	"math"
	"testing"
	"time"
)

func daily(vs ...float64) Series {
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	s := make(Series, len(vs))
	for i, v := range vs {
		s[i] = Point{T: t0.AddDate(0, 0, i), V: v}
	}
	return s
}

func TestSeriesStep(t *testing.T) {
	if step, err := daily(1, 2, 3).Step(); err != nil || step != 24*time.Hour {
		t.Errorf("Step = %v, %v; want 24h", step, err)
	}
	s := daily(1, 2, 3)
	s[2].T = s[2].T.Add(time.Hour)
	if _, err := s.Step(); !errors.Is(err, ErrIrregular) {
		t.Errorf("irregular: err %v", err)
	}
	if _, err := daily(1).Step(); !errors.Is(err, ErrTooShort) {
		t.Errorf("one point: err %v", err)
	}
	if v := daily(1, math.NaN()).Values(); v[0] != 1 || !math.IsNaN(v[1]) {
		t.Errorf("Values = %v", v)
	}
}

func TestSlopePerWeek(t *testing.T) {
	hourly := make(Series, 48)
	t0 := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	for i := range hourly {
		hourly[i] = Point{T: t0.Add(time.Duration(i) * time.Hour), V: 0.5 * float64(i)}
	}
	for _, tc := range []struct {
		name   string
		give   Series
		want   float64
		wantOK bool
	}{
		// 1 per day = 7 per week; the NaN is skipped.
		{"daily rising", daily(1, 2, math.NaN(), 4, 5), 7, true},
		// 0.5 per hour = 0.5·168 = 84 per week.
		{"hourly", hourly, 84, true},
		// Points 0, 1, 2 days: 0, 3, 0 → slope 0.
		{"up and down", daily(0, 3, 0), 0, true},
		{"one finite point", daily(1, math.NaN()), 0, false},
		{"empty", nil, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := SlopePerWeek(tc.give)
			if ok != tc.wantOK || !near(got, tc.want, 1e-12) {
				t.Errorf("SlopePerWeek = %v, %v; want %v, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}

func TestCrossing(t *testing.T) {
	preds := []Prediction{{Mean: 1}, {Mean: math.NaN()}, {Mean: 3}, {Mean: 5}, {Mean: 2}}
	for _, tc := range []struct {
		name     string
		target   float64
		above    bool
		wantStep int
		wantOK   bool
	}{
		{"reaches exactly", 3, true, 3, true},
		{"passes", 4, true, 4, true},
		{"already above", 0, true, 1, true},
		{"never", 6, true, 0, false},
		{"below at once", 1, false, 1, true},
		{"below later", 0.5, false, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			step, ok := Crossing(preds, tc.target, tc.above)
			if step != tc.wantStep || ok != tc.wantOK {
				t.Errorf("Crossing = %d, %v; want %d, %v", step, ok, tc.wantStep, tc.wantOK)
			}
		})
	}
	// On a fitted trend: 1, 3, 5, … crosses 20 at value 21, step 2 (19 at step 1).
	m := &Linear{}
	if err := m.Fit([]float64{1, 3, 5, 7, 9, 11, 13, 15, 17}); err != nil {
		t.Fatal(err)
	}
	if step, ok := Crossing(m.Forecast(10, 0.95), 20, true); step != 2 || !ok {
		t.Errorf("trend crossing = %d, %v; want 2, true", step, ok)
	}
}
