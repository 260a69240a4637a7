package demo

import (
	"runtime"
	"testing"
	"time"

	"github.com/throughline/throughline/ingest"
)

func TestZZScale100(t *testing.T) {
	st := time.Now()
	var peak uint64
	n, calls := 0, 0
	var ms runtime.MemStats
	err := Generate(Options{End: testEnd, Scale: 100}, func(es []ingest.Event) error {
		n += len(es); calls++
		if calls%50 == 0 { runtime.ReadMemStats(&ms); peak = max(peak, ms.HeapInuse) }
		return nil
	})
	t.Logf("events %d err %v in %s, peak heap in use %d MB", n, err, time.Since(st), peak>>20)
}
