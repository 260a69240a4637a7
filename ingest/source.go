package ingest

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"time"
)

// Payload is a raw body as received, stored beside the events normalised
// from it so they can be derived again when a parser improves.
type Payload struct {
	ID          string // hex SHA-256 of Body: the same body is stored once
	Source      string
	Received    time.Time
	ContentType string
	Body        []byte
}

// NewPayload builds a Payload, deriving its ID from the body.
func NewPayload(source, contentType string, body []byte, received time.Time) Payload {
	sum := sha256.Sum256(body)
	return Payload{
		ID:          hex.EncodeToString(sum[:]),
		Source:      source,
		Received:    received.UTC().Truncate(time.Second),
		ContentType: contentType,
		Body:        body,
	}
}

// Webhook is one tool's webhook: authenticity check and payload decoding.
// Implementations live in ingest/<tool> and know nothing of other tools.
//
// Parse returns an error wrapping ErrIgnored (with a reason) for payloads
// that carry nothing for the measures, and an error wrapping ErrPayload for
// payloads it cannot decode; both are the sender's business, never a 5xx.
type Webhook interface {
	// Source is the name in POST /webhooks/{source} and in Event.Source.
	Source() string
	// Verify checks the request's signature or token; it returns an error
	// wrapping ErrUnauthorized when it does not match. It must not log secrets.
	Verify(h http.Header, body []byte) error
	// Parse decodes the body into normalised, valid events.
	Parse(h http.Header, body []byte) ([]Event, error)
}

// DeliveryIDer is implemented by webhooks whose tool sends a delivery id
// (GitHub X-GitHub-Delivery, ...); the receiver deduplicates on it.
type DeliveryIDer interface {
	DeliveryID(h http.Header) string
}

// Sentinel errors for webhook handling.
var (
	ErrUnauthorized = errors.New("bad or missing signature")
	ErrIgnored      = errors.New("ignored")
	ErrPayload      = errors.New("bad payload")
)
