// Package deploy holds no code: it is Throughline's deployment (the
// Dockerfile, the docker compose stack, Prometheus' and Grafana's
// provisioning, the committed Grafana dashboards, the Helm chart and the
// production ClickHouse configuration), and the tests that check them:
// `docker compose config`, `helm lint` and `helm template`, and the golden
// comparison of `throughline dashboards --out` with the committed copies
// (go test ./deploy -update refreshes them).
package deploy
