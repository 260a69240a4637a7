// Package opsgenie turns Opsgenie outgoing webhook (Webhook integration)
// deliveries into incident or alert events: Create opens, Acknowledge
// acknowledges, Close resolves; other actions are ignored.
//
// By default an Opsgenie alert is an incident (Options.AlertsAreIncidents):
// Opsgenie is a paging tool, and an alert that pages a person who
// acknowledges and closes it is exactly what MTTA and MTTR measure. Set it
// to false when Opsgenie only relays monitoring alerts and incidents are
// recorded elsewhere (ServiceNow, Jira Service Management), so they are not
// counted twice; alerts then become alert.firing/alert.resolved and
// acknowledgements are ignored.
//
// Opsgenie cannot sign its deliveries: Verify checks a shared-secret header
// (a custom header of the integration) or HTTP Basic auth.
//
// It verifies and decodes; it does not store events or call Opsgenie.
package opsgenie
