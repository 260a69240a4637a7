package demo

import (
	"fmt"
	"testing"

	"github.com/throughline/throughline/ingest"
)

// BenchmarkGenerate measures a year of the organisation at Scale 1 (~95k
// events) and 10 (~1M):
//
//	go test ./demo/ -run '^$' -bench Generate -benchtime 3x
func BenchmarkGenerate(b *testing.B) {
	for _, scale := range []float64{1, 10} {
		b.Run(fmt.Sprintf("scale=%g", scale), func(b *testing.B) {
			o := Options{End: testEnd, Scale: scale}
			b.ReportAllocs()
			events := 0
			for b.Loop() {
				if err := Generate(o, func(es []ingest.Event) error { events += len(es); return nil }); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(events)/float64(b.N), "events/op")
		})
	}
}
