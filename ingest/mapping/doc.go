// Package mapping is the declarative generic webhook, for tools whose
// outbound payload the user designs (Ivanti Neurons, Cherwell, BMC Helix
// notifications, home-made tools). Each named Mapping in the configuration
// is one Webhook, served at POST /webhooks/custom/{name}, whose Source is
// the name.
//
// A Mapping says which generic event a payload is (a fixed type, or a JSON
// path whose value is mapped to types), where each generic field is in the
// payload (a path in dot notation: record.fields.priority, items[0].id,
// fields[name=Status].value picks the first element whose name is Status;
// "a|b" takes the first path that yields a value), how raw values translate
// ("1 - Critical" → P1), how times are written, and how requests
// authenticate. See testdata/webhooks/mapping for Ivanti and Cherwell.
//
// Without an id field, an event's id is "<subject>:<type>:<time>", so
// re-sending the same payload yields the same event.
//
// It verifies and decodes; it does not store events or call the tools.
package mapping
