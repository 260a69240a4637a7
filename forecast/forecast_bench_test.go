package forecast

import (
	"fmt"
	"testing"
)

// Benchmarks fit and forecast 14 steps on a noisy weekly series. Naive is
// the baseline: report the others as ratios to it from the same run, e.g.
//
//	go test -run '^$' -bench . -benchmem ./forecast/
func BenchmarkFitForecast(b *testing.B) {
	models := []func() Model{
		func() Model { return &Naive{} },
		func() Model { return &SeasonalNaive{Period: 7} },
		func() Model { return &Linear{} },
		func() Model { return &Holt{} },
		func() Model { return &HoltWinters{Period: 7} },
	}
	for _, n := range []int{90, 365} {
		y := weekly(rng(42), n, 2)
		for _, mk := range models {
			m := mk()
			b.Run(fmt.Sprintf("%s/n=%d", m.Name(), n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if err := m.Fit(y); err != nil {
						b.Fatal(err)
					}
					_ = m.Forecast(14, 0.95)
				}
			})
		}
	}
}

// BenchmarkSelect backtests all five models over the latest 20 origins,
// horizon 7; BenchmarkSelectNaive is its baseline with Naive alone.
func BenchmarkSelect(b *testing.B) {
	for _, n := range []int{90, 365} {
		y := weekly(rng(42), n, 2)
		opts := BacktestOptions{Horizon: 7, Period: 7, MaxFolds: 20}
		b.Run(fmt.Sprintf("all/n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Select(y, candidates(7), opts); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("naive/n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Select(y, []Model{&Naive{}}, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCharts(b *testing.B) {
	for _, n := range []int{90, 365} {
		y := weekly(rng(42), n, 2)
		b.Run(fmt.Sprintf("ewma/n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = EWMA(y, EWMAOptions{Baseline: 28})
			}
		})
		b.Run(fmt.Sprintf("cusum/n=%d", n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = CUSUM(y, CUSUMOptions{Baseline: 28})
			}
		})
	}
}
