// Package demo generates a realistic synthetic organisation, deterministically:
// its catalog (Catalog), a history of its events in the generic format
// (Generate, streamed a day at a time so that ten million events never sit in
// memory) and the regressions injected into that history (Regressions), so
// that `serve --demo`, tests, benchmarks and forecasting backtests all see
// the same data. It owns the organisation and its story; it does not store,
// ingest or compute measures, and nothing in it reads the clock except a
// zero Options.End.
//
// # The organisation (Scale 1)
//
// Three portfolios, six products, eight teams, twenty services; each service
// has one repository, acme/<service>.
//
//	portfolio    product             team           tier                 services
//	retail       web-shop            storefront     elite                web-frontend, search, catalog
//	retail       web-shop            conversion     high                 checkout, cart, pricing
//	retail       mobile-app          mobile         medium, improving    mobile-bff, push-notifications
//	back-office  finance             treasury       high                 payments, fraud-check
//	back-office  finance             finance-core   low                  ledger, invoicing, reporting
//	back-office  fulfilment          logistics      medium               orders, inventory, shipping
//	platform     developer-platform  platform-core  elite                auth, api-gateway
//	platform     data-platform       data-eng       medium               data-pipeline, recommendations
//
// Scale s has round(20·s) services: service i is base service i mod 20 of
// copy i/20. Copies have their own teams, products and Jira projects
// ("checkout-2" of "conversion-2" in "web-shop-2"); every three copies share
// a set of portfolios ("retail-2"). A fractional Scale keeps a prefix of the
// base services, interleaved by team. Events grow linearly with Scale: about
// 100k a year at Scale 1, 1M at Scale 10.
//
// # The events
//
// Sources: github (change.committed with a 40-hex SHA, links.change to its
// pull request and, for most, links.work_item; change.merged; build.finished
// for every pull-request push and every merge), argocd (deployment.finished to
// staging, then production after a soak; the commits merged since the last
// release; rollbacks and hotfixes with kind and links.incident), servicenow
// (change_request.created/approved/closed for a per-team share of production
// releases: standard changes approved by policy, automated: true, within a
// minute; normal ones by people in working time; emergency ones for
// hotfixes; incidents of most teams), pagerduty (incidents of storefront,
// conversion and platform-core) and jira (work_item.created/started/done,
// kinds feature, defect, risk, debt; some never started, some in progress at
// End).
//
// Work is done in working time: weekdays 08:00–18:00 UTC, without Christmas
// and New Year's Day. Each service's releases follow its team: continuous
// delivery (exponential gaps between release slots: a few a day for elite
// teams) or a cadence (weekly for logistics, monthly-ish for finance-core,
// whose normal changes wait a day for approval). A release deploys the
// commits merged before it, so lead times run from hours (elite) to weeks
// (low). Some production deployments fail, at the team's change failure
// rate: outright (outcome failure, rolled back within the team's mitigation
// time; the commits go out again with the next release) or by causing an
// incident (P1–P3, links.deployment) that a rollback or a hotfix under an
// emergency change remediates. Other incidents are unlinked (P1–P4), some
// self-healed (automated: true), 5% reopened and resolved again, each with
// an assignment group (Service Desk, Platform Ops, Database Team, Security
// Ops; mapped to capabilities in the catalog).
//
// Always present at End: the first service of each copy (checkout) was
// deployed three hours before End and the P1 incident it caused is
// acknowledged but open, so that copy's last failed deployment is
// unrecovered; incidents, pull requests and work items whose next event
// would fall after End stay open.
//
// # The story (for forecasts, reports and backtests)
//
//   - Weekly seasonality: commits, merges, deployments and work items happen
//     on working days (a trickle at weekends); incidents are 2.5 times rarer
//     on a weekend day than on a weekday. Activity is 60% lower from 20
//     December to 3 January and 25% lower in August, and grows 20% over the
//     window.
//   - mobile improves: its release gap falls geometrically from 60 to 6
//     working hours and its review time from 20 to 2 over the window, so its
//     median lead time drops from about a week to about two days.
//   - The injected regressions, which Regressions lists with their start
//     times (copy k starts k mod 4 weeks earlier; a regression whose start
//     would fall before the window is neither injected nor listed):
//     conversion's change failure rate ramps from 6% to 35% over the last 8
//     weeks (and its share of defects rises with it); treasury's incident
//     resolution and recovery slow to 2.5x 6 weeks before End, rising to 5x;
//     data-eng's releases freeze to 4x longer gaps 4 weeks before End; the
//     search service's incidents step up 6x 3 weeks before End.
//
// # Determinism
//
// The same Options give byte-identical events. Each service draws from its
// own PCG (math/rand/v2) seeded with Seed and its index, commit SHAs hash
// (Seed, service, n), ids come from counters advanced in a fixed order, and
// no map is iterated. Ids are unique within their source and stable across
// runs; a different Scale renumbers them.
package demo
