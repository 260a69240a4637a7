// Package reports writes the executive report: for a period and a scope
// (the organisation, a portfolio, product, team or service) the headline
// DORA, service-management and flow measures with their tiers and their
// change against the previous period (the calendar month or quarter before, else one of equal length), trend charts drawn
// here as inline SVG, the biggest improvements and regressions across the
// scope's teams (or services), incidents and change requests in summary,
// what the forecasts say, and a short plain-language summary written from
// the numbers by templates. It renders HTML (self-contained, prints on A4),
// PDF (the HTML printed by headless Chromium), Markdown and JSON.
//
// It also runs the reports the configuration schedules (cron expressions
// with a time zone; a run missed while the service was down runs once at
// start-up), delivers them by email (SMTP with STARTTLS or TLS and
// authentication: HTML body, PDF attached), by webhook (Slack- or
// Teams-compatible message with a link) and to a directory, records every
// run in ClickHouse, and serves the runs and the latest rendering of each
// schedule under /api/v1/reports.
//
// Every number comes from metrics.Computer (one Compute per period or trend
// bucket): this package never computes a measure itself. Its own SQL
// (queries/sql/reports) lists incidents and change requests for the
// summary tables and keeps the run records. It must not know the tools
// events come from, and it does not start Chromium except to print a PDF.
package reports
