package alerting

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// amAlert and amMessage are the Alertmanager webhook format, version 4
// (https://prometheus.io/docs/alerting/latest/configuration/#webhook_config).
type amAlert struct {
	Status       string            `json:"status"`
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL"`
	Fingerprint  string            `json:"fingerprint"`
}

type amMessage struct {
	Version           string            `json:"version"`
	GroupKey          string            `json:"groupKey"`
	TruncatedAlerts   int               `json:"truncatedAlerts"`
	Status            string            `json:"status"`
	Receiver          string            `json:"receiver"`
	GroupLabels       map[string]string `json:"groupLabels"`
	CommonLabels      map[string]string `json:"commonLabels"`
	CommonAnnotations map[string]string `json:"commonAnnotations"`
	ExternalURL       string            `json:"externalURL"`
	Alerts            []amAlert         `json:"alerts"`
}

// cloudEvent is a structured-mode CloudEvents 1.0 JSON event.
type cloudEvent struct {
	SpecVersion     string    `json:"specversion"`
	ID              string    `json:"id"`
	Source          string    `json:"source"`
	Type            string    `json:"type"`
	Subject         string    `json:"subject"`
	Time            time.Time `json:"time"`
	DataContentType string    `json:"datacontenttype"`
	Data            any       `json:"data"`
}

// notificationData is the data of a CloudEvents notification.
type notificationData struct {
	Status string   `json:"status"`
	Alert  Alert    `json:"alert"`
	Links  []string `json:"approval_links,omitempty"`
}

func messageID(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return "msg_" + hex.EncodeToString(h.Sum(nil))[:24]
}

// notifyLocked queues a notification of the alert's state to every
// receiver it matches. suffix distinguishes a repeat for the same state
// (an approval request).
func (e *Engine) notifyLocked(a *Alert, now time.Time, suffix string) {
	status := StateFiring
	if a.State == StateResolved {
		status = StateResolved
	}
	ann := e.annotationsLocked(a)
	for _, rc := range e.cfg.Receivers {
		if !matches(rc.Match, a.Labels) {
			continue
		}
		if status == StateResolved && rc.SendResolved != nil && !*rc.SendResolved {
			continue
		}
		id := messageID(rc.Name, a.Fingerprint, status, a.episode().Format(time.RFC3339Nano), suffix)
		body, err := e.notificationBody(rc, id, a, status, ann, now)
		if err != nil {
			e.log.Error("notification not built", "receiver", rc.Name, "err", err)
			continue
		}
		if err := e.outbox.add(job{ID: id, Kind: KindNotification, Target: rc.Name, Fingerprint: a.Fingerprint,
			Body: body, Created: now, Due: now}); err != nil {
			e.log.Error("notification not queued", "receiver", rc.Name, "err", err)
			continue
		}
		e.auditLocked(AuditRecord{Event: "notification.queued", Fingerprint: a.Fingerprint, Rule: a.Rule,
			Target: rc.Name, Detail: status + " " + id})
	}
}

// annotationsLocked are the alert's annotations for a notification: the
// explanation as summary and description, and approve/deny links for
// actions awaiting approval.
func (e *Engine) annotationsLocked(a *Alert) map[string]string {
	ann := map[string]string{}
	for k, v := range a.Annotations {
		ann[k] = v
	}
	if a.Explanation != "" {
		ann["summary"] = a.Explanation
		ann["description"] = a.Explanation
	}
	ann["alerts_url"] = e.cfg.ExternalURL + "/api/v1/alerts"
	for _, id := range sortedKeys(e.st.Actions) {
		act := e.st.Actions[id]
		if act.Fingerprint != a.Fingerprint || act.State != ActionAwaitingApproval {
			continue
		}
		ann["approve_url_"+act.Trigger] = e.cfg.ExternalURL + "/api/v1/alerts/actions/" + act.ID + "/approve"
		ann["deny_url_"+act.Trigger] = e.cfg.ExternalURL + "/api/v1/alerts/actions/" + act.ID + "/deny"
	}
	return ann
}

func (e *Engine) notificationBody(rc Receiver, id string, a *Alert, status string, ann map[string]string, now time.Time) ([]byte, error) {
	var end time.Time
	if a.EndsAt != nil {
		end = *a.EndsAt
	}
	if rc.Type == "cloudevents" {
		c := *a
		c.Annotations = ann
		var links []string
		for k, v := range ann {
			if strings.HasPrefix(k, "approve_url_") || strings.HasPrefix(k, "deny_url_") {
				links = append(links, v)
			}
		}
		return marshal(cloudEvent{
			SpecVersion: "1.0", ID: id, Source: e.cfg.ExternalURL + "/api/v1/alerts",
			Type: "dev.throughline.alert." + status, Subject: a.Fingerprint, Time: now,
			DataContentType: "application/json",
			Data:            notificationData{Status: status, Alert: c, Links: sorted(links)},
		})
	}
	group := map[string]string{"alertname": a.Labels["alertname"]}
	return marshal(amMessage{
		Version: "4", GroupKey: fmt.Sprintf("{}:{alertname=%q}", a.Labels["alertname"]),
		Status: status, Receiver: rc.Name, GroupLabels: group,
		CommonLabels: a.Labels, CommonAnnotations: ann, ExternalURL: e.cfg.ExternalURL,
		Alerts: []amAlert{{
			Status: status, Labels: a.Labels, Annotations: ann, StartsAt: a.episode(), EndsAt: end,
			GeneratorURL: e.cfg.ExternalURL + "/api/v1/alerts?fingerprint=" + a.Fingerprint,
			Fingerprint:  a.Fingerprint,
		}},
	})
}

// marshal encodes JSON without escaping <, > and & (bodies are not HTML).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func sorted(s []string) []string {
	sort.Strings(s)
	return s
}
