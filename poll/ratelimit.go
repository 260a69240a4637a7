package poll

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// secondaryWait is how long to wait on a GitHub secondary rate limit that
// names no time: GitHub asks for at least a minute.
const secondaryWait = time.Minute

// rateLimitWait says whether r is a rate-limit refusal and how long to
// wait before trying again. It reads, in order: Retry-After (seconds or an
// HTTP date); X-RateLimit-Remaining: 0 with X-RateLimit-Reset (GitHub,
// ServiceNow); RateLimit-Remaining: 0 with RateLimit-Reset (GitLab). A 429
// without any of them, or a GitHub 403 whose body speaks of a rate limit,
// waits secondaryWait. Other 403s are permission errors, not limits.
func rateLimitWait(r *Response, now time.Time) (time.Duration, bool) {
	if r.Status != http.StatusTooManyRequests && r.Status != http.StatusForbidden {
		return 0, false
	}
	if d, ok := retryAfter(r.Header, now); ok {
		return max(d, time.Second), true
	}
	for _, pair := range [][2]string{{"X-RateLimit-Remaining", "X-RateLimit-Reset"}, {"RateLimit-Remaining", "RateLimit-Reset"}} {
		if strings.TrimSpace(r.Header.Get(pair[0])) != "0" {
			continue
		}
		if t, ok := resetTime(r.Header.Get(pair[1]), now); ok {
			// One second more: resets are whole seconds and clocks drift.
			return max(t.Sub(now), 0) + time.Second, true
		}
	}
	if r.Status == http.StatusTooManyRequests {
		return secondaryWait, true
	}
	if bytes.Contains(bytes.ToLower(r.Body), []byte("rate limit")) {
		return secondaryWait, true
	}
	return 0, false
}

// retryAfter reads Retry-After as delay-seconds or an HTTP date.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, true
		}
		return time.Duration(min(n, int64(24*time.Hour/time.Second))) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return min(max(t.Sub(now), 0), 24*time.Hour), true
	}
	return 0, false
}

// resetTime reads a reset header: a Unix time in seconds (GitHub, GitLab,
// ServiceNow) or, for small numbers, seconds from now (the IETF draft's
// RateLimit-Reset).
func resetTime(v string, now time.Time) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || f < 0 || f > 1e11 {
		return time.Time{}, false
	}
	if f < 1e9 {
		return now.Add(time.Duration(f * float64(time.Second))), true
	}
	sec := int64(f)
	return time.Unix(sec, 0), true
}

// LinkRel returns the target of the first link with relation rel in an
// RFC 8288 Link header ("<https://...?page=2>; rel=\"next\", <...>;
// rel=\"last\""), or "".
func LinkRel(header, rel string) string {
	for len(header) > 0 {
		header = strings.TrimLeft(header, " ,\t")
		if !strings.HasPrefix(header, "<") {
			// Skip a malformed element up to the next comma.
			i := strings.IndexByte(header, ',')
			if i < 0 {
				return ""
			}
			header = header[i+1:]
			continue
		}
		end := strings.IndexByte(header, '>')
		if end < 0 {
			return ""
		}
		target := header[1:end]
		rest := header[end+1:]
		// Parameters run to the next "<" that starts a new link; commas
		// inside quoted values are kept.
		params, next := splitParams(rest)
		header = next
		for _, p := range params {
			k, v, ok := strings.Cut(p, "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(k), "rel") {
				continue
			}
			for _, r := range strings.Fields(strings.Trim(strings.TrimSpace(v), `"`)) {
				if strings.EqualFold(r, rel) {
					return target
				}
			}
		}
	}
	return ""
}

// splitParams reads ";"-separated parameters up to the comma that ends the
// link, returning them and what follows.
func splitParams(s string) ([]string, string) {
	var params []string
	var cur strings.Builder
	quoted := false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case ch == '"':
			quoted = !quoted
			cur.WriteByte(ch)
		case ch == ';' && !quoted:
			if p := strings.TrimSpace(cur.String()); p != "" {
				params = append(params, p)
			}
			cur.Reset()
		case ch == ',' && !quoted:
			if p := strings.TrimSpace(cur.String()); p != "" {
				params = append(params, p)
			}
			return params, s[i+1:]
		default:
			cur.WriteByte(ch)
		}
	}
	if p := strings.TrimSpace(cur.String()); p != "" {
		params = append(params, p)
	}
	return params, ""
}
