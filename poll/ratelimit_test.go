package poll

import (
	"net/http"
	"testing"
	"time"
)

func FuzzRateLimitHeaders(f *testing.F) {
	f.Add("Retry-After", "120", 429, "")
	f.Add("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT", 503, "")
	f.Add("X-RateLimit-Reset", "1772445600", 403, "")
	f.Add("RateLimit-Reset", "-5", 429, "")
	f.Add("X-RateLimit-Reset", "99999999999999999999", 403, "secondary rate limit")
	f.Fuzz(func(t *testing.T, name, value string, status int, body string) {
		now := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
		h := http.Header{}
		h.Set(name, value)
		h.Set("X-RateLimit-Remaining", "0")
		h.Set("RateLimit-Remaining", "0")
		d, limited := rateLimitWait(&Response{Status: status, Header: h, Body: []byte(body)}, now)
		if d < 0 {
			t.Fatalf("negative wait %v", d)
		}
		if limited && status != 429 && status != 403 {
			t.Fatalf("status %d treated as a rate limit", status)
		}
		if ra, ok := retryAfter(h, now); ok && (ra < 0 || ra > 24*time.Hour) {
			t.Fatalf("Retry-After %q gave %v", value, ra)
		}
		_ = LinkRel(value, "next")
	})
}
