// Package pagerduty turns PagerDuty v3 webhooks (incident.triggered,
// .acknowledged, .resolved, .reopened) into incident events, after checking
// the X-PagerDuty-Signature HMAC.
//
// PagerDuty carries its delivery id (event.id) only in the body, and the
// receiver's DeliveryIDer sees headers only, so this package does not
// implement it: event ids are derived from the incident id, the event type
// and occurred_at, so a re-delivery yields the same ids and is stored once.
//
// It verifies and decodes; it does not store events or call PagerDuty.
package pagerduty
