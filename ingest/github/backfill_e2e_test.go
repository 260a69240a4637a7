package github

import (
	"testing"
	"time"

	"github.com/throughline/throughline/poll/polltest"
	"github.com/throughline/throughline/queries/chtest"
)

// TestImportEndToEnd imports the recording into a real store twice and
// checks the DORA measures against values computed by hand.
//
// The recording (testdata/backfill/github/PROVENANCE.md) has, from
// 2026-02-01: pull request #41 (commits 3f8a1c2 authored 2026-02-02 09:00
// and 7b2e9d4 14:30) squash-merged as a1b2c3d (2026-02-03 10:00) and
// deployed to Production by deployment 9001, success at 2026-02-03 11:20;
// #42 (5e6f7a8, 2026-02-04 08:00) merged as 9c8b7a6 (2026-02-04 12:00)
// and deployed by 9002, success at 2026-02-05 09:00. The deployments
// carry only the merge SHAs; the imported change.merged events list the
// pull requests' commits, so lead time starts at them.
//
// Window [2026-02-01, 2026-02-08), 7 days:
//
//	deployments                    2 (both successful)
//	deployment_frequency_per_day   2 / 7 = 0.285714...
//	lead times (s), deployment 9001 at 02-03 11:20:
//	  a1b2c3d 02-03 10:00 ->  4,800
//	  7b2e9d4 02-02 14:30 -> 75,000
//	  3f8a1c2 02-02 09:00 -> 94,800
//	deployment 9002 at 02-05 09:00:
//	  9c8b7a6 02-04 12:00 -> 75,600
//	  5e6f7a8 02-04 08:00 -> 90,000
//	sorted 4,800 75,000 75,600 90,000 94,800
//	median  position 2                    = 75,600
//	p90     position 3.6: 90,000 + 0.6 × 4,800 = 92,880
//	change_failure_rate            0 / 2 = 0
func TestImportEndToEnd(t *testing.T) {
	for _, eng := range chtest.Engines(t) {
		t.Run(eng.Name, func(t *testing.T) {
			f := newFixture(t)
			polltest.ImportTwice(t, eng.Store, f.importer(t, nil), f.request(), len(wantIDs))
			polltest.CheckMeasures(t, eng.Store, time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 8, 0, 0, 0, 0, time.UTC), map[string]float64{
				"deployments":                     2,
				"deployment_frequency_per_day":    2.0 / 7,
				"change_lead_time_samples":        5,
				"change_lead_time_median_seconds": 75600,
				"change_lead_time_p90_seconds":    92880,
				"change_failure_rate":             0,
			})
		})
	}
}
