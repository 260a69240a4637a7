package cdevents

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"sort"
	"strings"

	"github.com/throughline/throughline/ingest"
)

// Source is the name of this webhook's source.
const Source = "cdevents"

// Content types of the CloudEvents HTTP binding.
const (
	contentStructured = "application/cloudevents+json"
	contentBatch      = "application/cloudevents-batch+json"
)

// maxBatch bounds a batch: enough for any broker flush, small enough that
// one request cannot hold the receiver for long.
const maxBatch = 1000

// Webhook parses CDEvents deliveries. It is safe for concurrent use.
type Webhook struct {
	opts Options
}

var (
	_ ingest.Webhook      = (*Webhook)(nil)
	_ ingest.DeliveryIDer = (*Webhook)(nil)
)

// New validates o and returns a Webhook.
func New(o Options) (*Webhook, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("cdevents webhook: %w", err)
	}
	return &Webhook{opts: o}, nil
}

// Source returns "cdevents".
func (w *Webhook) Source() string { return Source }

// DeliveryID returns the ce-id header of a binary-mode request (empty in
// structured and batch mode, where the id is inside the body).
func (w *Webhook) DeliveryID(h http.Header) string { return h.Get("Ce-Id") }

// Verify checks the bearer token or the HMAC signature against
// Options.Secret. Without a secret every request passes.
func (w *Webhook) Verify(h http.Header, body []byte) error {
	if w.opts.Secret == "" {
		return nil
	}
	if auth := h.Get("Authorization"); auth != "" {
		tok, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok {
			return fmt.Errorf("%w: Authorization must be \"Bearer <secret>\"", ingest.ErrUnauthorized)
		}
		if subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(w.opts.Secret)) != 1 {
			return fmt.Errorf("%w: bearer token does not match", ingest.ErrUnauthorized)
		}
		return nil
	}
	sig := h.Get("X-Throughline-Signature")
	if sig == "" {
		return fmt.Errorf("%w: send Authorization: Bearer <secret> or X-Throughline-Signature: sha256=<hmac>", ingest.ErrUnauthorized)
	}
	return ingest.CheckSHA256Signature("X-Throughline-Signature", sig, w.opts.Secret, body)
}

// envelope is a structured-mode CloudEvent; only what the mapping needs.
type envelope struct {
	SpecVersion     string          `json:"specversion"`
	ID              string          `json:"id"`
	Type            string          `json:"type"`
	DataContentType string          `json:"datacontenttype"`
	Data            json.RawMessage `json:"data"`
	DataBase64      string          `json:"data_base64"`
}

// Parse maps a delivery to events. A batch is all or nothing: one malformed
// CloudEvent rejects the request, naming its index, so the sender can fix it
// and resend the whole batch (ids make the resend idempotent).
func (w *Webhook) Parse(h http.Header, body []byte) ([]ingest.Event, error) {
	mt := ""
	if ct := h.Get("Content-Type"); ct != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(ct); err != nil {
			return nil, fmt.Errorf("%w: Content-Type %q: %v", ingest.ErrPayload, ct, err)
		}
	}
	switch mt {
	case contentStructured:
		ev, err := w.parseEnvelope(body)
		if err != nil {
			return nil, err
		}
		return []ingest.Event{ev}, nil
	case contentBatch:
		return w.parseBatch(body)
	case "", "application/json", "text/json":
		if h.Get("Ce-Specversion") == "" && h.Get("Ce-Type") == "" && !ingest.IsCDEvent(body) {
			return nil, fmt.Errorf("%w: not a CloudEvent: no ce-* headers and the body is not a CDEvent", ingest.ErrPayload)
		}
		ev, err := w.mapOne(body, h.Get("Ce-Type"))
		if err != nil {
			return nil, err
		}
		return []ingest.Event{ev}, nil
	default:
		return nil, fmt.Errorf("%w: Content-Type %q is not a CloudEvents JSON mode (application/json with ce-* headers, %s or %s)", ingest.ErrPayload, mt, contentStructured, contentBatch)
	}
}

func (w *Webhook) parseBatch(body []byte) ([]ingest.Event, error) {
	var items []json.RawMessage
	if err := json.Unmarshal(body, &items); err != nil {
		return nil, fmt.Errorf("%w: batch must be a JSON array of CloudEvents: %v", ingest.ErrPayload, err)
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("%w: empty batch", ingest.ErrIgnored)
	}
	if len(items) > maxBatch {
		return nil, fmt.Errorf("%w: batch of %d CloudEvents, at most %d", ingest.ErrPayload, len(items), maxBatch)
	}
	var events []ingest.Event
	var ignored []string
	var bad ingest.ItemErrors
	for i, raw := range items {
		ev, err := w.parseEnvelope(raw)
		switch {
		case errors.Is(err, ingest.ErrIgnored):
			ignored = append(ignored, fmt.Sprintf("[%d] %v", i, err))
		case err != nil:
			bad = append(bad, ingest.ItemError{Item: fmt.Sprintf("batch[%d]", i), Err: err})
		default:
			events = append(events, ev)
		}
	}
	if len(bad) > 0 {
		return ingest.Partial(events, bad)
	}
	if len(events) == 0 {
		return nil, fmt.Errorf("%w: no supported CDEvents in batch: %s", ingest.ErrIgnored, strings.Join(ignored, "; "))
	}
	return events, nil
}

func (w *Webhook) parseEnvelope(raw []byte) (ingest.Event, error) {
	var env envelope
	if err := json.Unmarshal(raw, &env); err != nil {
		return ingest.Event{}, fmt.Errorf("%w: CloudEvent must be a JSON object: %v", ingest.ErrPayload, err)
	}
	if env.SpecVersion == "" {
		return ingest.Event{}, fmt.Errorf("%w: specversion: is required in a structured CloudEvent", ingest.ErrPayload)
	}
	data := []byte(env.Data)
	if env.DataBase64 != "" {
		b, err := base64.StdEncoding.DecodeString(env.DataBase64)
		if err != nil {
			return ingest.Event{}, fmt.Errorf("%w: data_base64: %v", ingest.ErrPayload, err)
		}
		data = b
	}
	if len(data) == 0 || string(data) == "null" {
		return ingest.Event{}, fmt.Errorf("%w: data: is required (the CDEvent)", ingest.ErrPayload)
	}
	// Some producers put the CDEvent JSON in data as a string.
	var s string
	if json.Unmarshal(data, &s) == nil {
		data = []byte(s)
	}
	return w.mapOne(data, env.Type)
}

// mapOne maps one CDEvent. ceType is the CloudEvent type, which the CDEvents
// binding sets to context.type; a mismatch is recorded, not rejected.
func (w *Webhook) mapOne(data []byte, ceType string) (ingest.Event, error) {
	ev, warns, err := ingest.MapCDEvent(data)
	var unsupported *ingest.UnsupportedCDEventError
	if errors.As(err, &unsupported) {
		return ingest.Event{}, fmt.Errorf("%w: %v", ingest.ErrIgnored, err)
	}
	if err != nil {
		return ingest.Event{}, fmt.Errorf("%w: %v", ingest.ErrPayload, err)
	}
	if ceType != "" && ceType != ev.Attributes["cdevents.type"] {
		warns = append(warns, fmt.Sprintf("ce-type %q differs from context.type %q", ceType, ev.Attributes["cdevents.type"]))
	}
	if ev.Attributes == nil {
		ev.Attributes = map[string]string{}
	}
	// Attributes are capped at 256 entries (ingest.Event.Validate); the two
	// added here give way to the payload's own when it already has that many.
	if len(ev.Attributes) < 255 {
		ev.Attributes["cdevents.source"] = ev.Source
	}
	ev.Source = Source
	if len(warns) > 0 && len(ev.Attributes) < 256 {
		sort.Strings(warns)
		w := strings.Join(warns, "; ")
		if len(w) > 8192 {
			w = w[:8192]
		}
		ev.Attributes["cdevents.warnings"] = w
	}
	ev.Normalize()
	if err := ev.Validate(); err != nil {
		return ingest.Event{}, fmt.Errorf("%w: %v", ingest.ErrPayload, err)
	}
	return ev, nil
}
