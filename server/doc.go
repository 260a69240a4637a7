// Package server owns Throughline's HTTP surface (gin): routes, token
// authentication, request limits, the mapping of errors to statuses and
// JSON bodies, and the OpenAPI description of it all.
//
// It holds no measure maths and no payload parsing: it calls ingest,
// eventstore and metrics.
package server
