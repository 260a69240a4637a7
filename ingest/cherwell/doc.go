// Package cherwell imports incidents and change requests from Cherwell
// Service Management through its REST API: business objects of the
// Incident and Change Request types changed since a time
// (LastModifiedDateTime), page by page, each mapped to generic events
// (incident opened, acknowledged, resolved; change request created,
// approved, closed).
//
// Authentication is Cherwell's OAuth 2.0 password grant: POST
// /CherwellAPI/token with grant_type=password, client_id (the REST API
// client key), username and password returns an access token and a
// refresh token, sent as "Authorization: Bearer <token>". A token that
// expires (by its expires_in, or a 401 mid-run) is refreshed once with
// grant_type=refresh_token; if the refresh is refused the session logs
// in again, once, and the request is retried once. The session is logged
// out at the end of a run, since each token holds a license.
//
// Business objects are searched with POST /CherwellAPI/api/V1/
// getsearchresults, an ad-hoc search by busObId with a filter on the
// modification time. Business object ids are per instance, so they are
// options; the field ids the filter and the sort need are read once per
// run from the business object's schema.
//
// A record says what has happened so far, so one record yields several
// events; their ids are derived from the record alone (INC-10216:opened),
// so reading a record again yields the same ids and the store keeps each
// event once.
//
// It reads and maps; it does not store events (the poll.Sink does) and
// never writes to Cherwell.
package cherwell
