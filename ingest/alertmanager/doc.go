// Package alertmanager turns Prometheus Alertmanager webhook (version 4)
// notifications into alert.firing and alert.resolved events, one per alert,
// and, when Options.OpenIncidents is set, into incident events for alerts
// of the configured severities.
//
// Alertmanager re-sends a group on every group_interval; ids are derived
// from the fingerprint and startsAt/endsAt, so repeats are stored once.
// An incident's subject is "am-<fingerprint>-<startsAt unix seconds>": the
// fingerprint alone names the label set, and a flapping alert would fold
// every firing episode into one incident opened once and resolved many
// times; startsAt (which a resolved notification repeats) separates them.
//
// Alertmanager cannot sign: Verify accepts a bearer token
// (http_config.authorization) or Basic auth (http_config.basic_auth).
//
// It verifies and decodes; it does not store events or call Alertmanager.
package alertmanager
