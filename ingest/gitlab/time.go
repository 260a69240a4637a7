package gitlab

import (
	"fmt"
	"strings"
	"time"

	"github.com/throughline/throughline/ingest"
)

// timeLayouts are the formats GitLab uses in webhooks, which differ by
// event and by version: RFC 3339 ("2021-01-20T10:07:04Z",
// "2015-04-05T12:00:00.000Z", "2011-12-12T14:27:31+02:00"), and Ruby's
// default to_s with a "UTC" suffix or a numeric offset
// ("2021-01-20 10:07:04 UTC", "2021-01-20 10:07:04 +0100").
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999 UTC",
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02 15:04:05.999999999 -07:00",
	"2006-01-02T15:04:05.999999999 -0700",
}

// ParseTime parses a GitLab timestamp into UTC. A time without a zone is
// rejected, never guessed, like ingest.ParseTime.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			// Reuse the generic format's range check.
			return ingest.ParseTime(t.UTC().Format(time.RFC3339Nano))
		}
	}
	return time.Time{}, fmt.Errorf("%q is not a GitLab time with a zone (like 2021-01-20T10:07:04Z or 2021-01-20 10:07:04 UTC)", s)
}

// parseTime reads a required time field, naming it in any error.
func parseTime(event, field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("%w: %s: %s is missing", ingest.ErrPayload, event, field)
	}
	t, err := ParseTime(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s: %s: %v", ingest.ErrPayload, event, field, err)
	}
	return t, nil
}
