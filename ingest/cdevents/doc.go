// Package cdevents receives CDEvents over the CloudEvents HTTP binding and
// turns them into ingest Events with ingest.MapCDEvent.
//
// It owns POST /webhooks/cdevents: the shared-secret check and the three
// CloudEvents HTTP content modes,
//
//	binary      ce-* headers carry the CloudEvent attributes, the body is
//	            the CDEvent (Content-Type application/json)
//	structured  Content-Type application/cloudevents+json, the body is a
//	            CloudEvent envelope whose data (or data_base64) is the CDEvent
//	batch       Content-Type application/cloudevents-batch+json, the body is
//	            a JSON array of structured envelopes
//
// and, leniently, a bare CDEvent posted as application/json without ce-*
// headers. The mapping itself (which CDEvents types become which generic
// events, and how) belongs to ingest.MapCDEvent, not to this package.
//
// Events carry Source "cdevents" (Webhook.Source) and Event.ID = the CDEvent
// context.id, so a re-delivery yields the same ids; context.source is kept in
// the cdevents.source attribute and MapCDEvent warnings in cdevents.warnings.
// CDEvent types without a generic counterpart are ignored (ErrIgnored), not
// rejected: a broker may forward every CDEvent it sees.
//
// It must not do I/O, log, or compute measures.
package cdevents
