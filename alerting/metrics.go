package alerting

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// engineMetrics are one Engine's Prometheus metrics.
type engineMetrics struct {
	alerts      *prometheus.GaugeVec
	deliveries  *prometheus.CounterVec
	actions     *prometheus.CounterVec
	evaluations *prometheus.CounterVec
}

func newEngineMetrics(reg prometheus.Registerer, e *Engine) (m *engineMetrics, err error) {
	defer func() {
		// promauto panics on a duplicate registration; say which instead.
		if r := recover(); r != nil {
			m, err = nil, fmt.Errorf("alerting metrics: %v (one Engine per registry)", r)
		}
	}()
	f := promauto.With(reg)
	m = &engineMetrics{
		alerts: f.NewGaugeVec(prometheus.GaugeOpts{
			Name: "throughline_alerts", Help: "Alerts by state (pending, firing, resolved), rule and severity.",
		}, []string{"state", "rule", "severity"}),
		deliveries: f.NewCounterVec(prometheus.CounterOpts{
			Name: "throughline_alert_deliveries_total", Help: "Delivery attempts of notifications and runbook calls, by outcome (delivered, retry, dead, dropped).",
		}, []string{"kind", "target", "outcome"}),
		actions: f.NewCounterVec(prometheus.CounterOpts{
			Name: "throughline_alert_actions_total", Help: "Runbook trigger decisions by trigger and decision.",
		}, []string{"trigger", "decision"}),
		evaluations: f.NewCounterVec(prometheus.CounterOpts{
			Name: "throughline_alert_rule_evaluations_total", Help: "Rule evaluations by rule and result (ok, error).",
		}, []string{"rule", "result"}),
	}
	f.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "throughline_alert_outbox_jobs", Help: "Notifications and runbook calls waiting in the outbox.",
	}, func() float64 { return float64(e.outbox.len()) })
	return m, nil
}
