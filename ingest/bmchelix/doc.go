// Package bmchelix imports incidents and change requests from BMC Helix
// ITSM (Remedy) through the AR System REST API: records of the forms
// HPD:Help Desk and CHG:Infrastructure Change changed since a time
// ('Last Modified Date'), page by page, each mapped to generic events
// (incident opened, acknowledged, resolved; change request created,
// approved, closed).
//
// Authentication is Helix's own: POST /api/jwt/login with the user name
// and password as a form returns a JWT, sent as "Authorization: AR-JWT
// <token>". A token that expires mid-run (401) is replaced by one new
// login before the request is retried once; the session is logged out
// at the end of a run, since AR System counts open sessions.
//
// A record says what has happened so far, so one record yields several
// events; their ids are derived from the record alone (INC000000000101:
// opened), so reading a record again yields the same ids and the store
// keeps each event once.
//
// It reads and maps; it does not store events (the poll.Sink does) and
// never writes to Helix. Helix's outbound notifications go through the
// generic mapping (ingest/mapping), not this package.
package bmchelix
