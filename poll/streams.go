package poll

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/throughline/throughline/ingest"
)

// ValidateStreams reports the first of got that is not in known, naming it
// as key[i] (the YAML key of an importer's stream list).
func ValidateStreams(key string, got, known []string) error {
	for i, s := range got {
		if !slices.Contains(known, s) {
			return fmt.Errorf("%s[%d]: %q is not one of %s", key, i, s, strings.Join(known, ", "))
		}
	}
	return nil
}

// ValidPerPage reports a page size n outside [0, most] (0 means the
// importer's default), naming it by its YAML key.
func ValidPerPage(key string, n, most int) error {
	if n < 0 || n > most {
		return fmt.Errorf("%s: %d is not between 1 and %d", key, n, most)
	}
	return nil
}

// RunStreams runs RunStream for each of streams in order, with its Fetch
// from fetches, and stops at the first error, returned unwrapped.
func RunStreams(ctx context.Context, req Request, cp *Checkpoint, sink Sink, streams []string, fetches map[string]Fetch) error {
	for _, s := range streams {
		if err := RunStream(ctx, req, cp, sink, s, fetches[s]); err != nil {
			return err
		}
	}
	return nil
}

// ParsePayload maps payload, encoded as JSON, with w as if it were a
// delivery with headers h (nil for none): importers build webhook-shaped
// payloads so imported events get their deliveries' ids.
func ParsePayload(w ingest.Webhook, h http.Header, payload any) ([]ingest.Event, error) {
	body, err := json.Marshal(payload)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ingest.ErrPayload, err)
	}
	if h == nil {
		h = http.Header{}
	}
	return w.Parse(h, body)
}

// GetAll follows next links from path, decoding each page as a JSON array
// of T, until there is no next page or at least limit items were read.
func GetAll[T any](ctx context.Context, c *Client, path string, limit int) ([]T, error) {
	var all []T
	for next := path; next != "" && len(all) < limit; {
		var items []T
		r, err := c.GetJSON(ctx, next, nil, &items)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		next = r.Next()
	}
	return all, nil
}
