// Package servicenow turns ServiceNow Table API records, pushed by a
// Business Rule or Flow to POST /webhooks/servicenow, into incident and
// change request events.
//
// A body is one record, bare or wrapped in {"result": ...} (an object or an
// array of them), with values plain ("7") or as display/value pairs
// ({"display_value": "Closed", "value": 7}). A record says what has happened
// so far, so one record may yield several events (opened, acknowledged,
// resolved); their ids are derived from the record alone, so pushing the same
// record again yields the same ids and the store keeps each event once.
//
// Times: ServiceNow returns the value of a date field in UTC
// ("2026-02-17 00:45:10") and its display value in the user's zone. The
// value half of a pair is therefore read as UTC; a plain string is read in
// Options.TimeZone (default UTC), because a Business Rule that sends
// getDisplayValue() sends local times. Times never come from the clock.
//
// It verifies and decodes; it does not store events or call ServiceNow.
package servicenow
