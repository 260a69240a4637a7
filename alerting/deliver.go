package alerting

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// deliverLoop sends due jobs until ctx ends; requests under way then finish
// (each within its timeout) so that an answer a receiver gave is never lost.
func (e *Engine) deliverLoop(ctx context.Context) error {
	sem := make(chan struct{}, e.cfg.Delivery.Concurrency)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		for _, j := range e.outbox.due(e.now()) {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				e.outbox.release(j)
				continue
			}
			wg.Add(1)
			go func(j *job) {
				defer func() { <-sem; wg.Done() }()
				e.attempt(context.WithoutCancel(ctx), j)
				e.wakeDelivery()
			}(j)
		}
		wait := e.o.PollInterval
		if n := e.outbox.next(); !n.IsZero() {
			wait = min(wait, max(n.Sub(e.now()), time.Millisecond))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-e.wake:
		case <-t.C:
		}
		t.Stop()
	}
}

func (e *Engine) wakeDelivery() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// request is what an attempt sends.
type request struct {
	method, url string
	header      http.Header
	body        []byte
	key         []byte // Standard Webhooks signing key, nil for none
}

// attempt makes one delivery attempt of j and files the result.
func (e *Engine) attempt(ctx context.Context, j *job) {
	now := e.now()
	if j.Kind == KindAction && e.killSwitchEngaged() {
		e.dropJob(j, "kill switch engaged before the call went out")
		return
	}
	req, err := e.buildRequest(j)
	if err != nil {
		e.deadJob(j, now, 0, err.Error(), 0)
		return
	}
	j.Attempts++
	start := time.Now()
	status, retryAfter, err := e.send(ctx, req, j.ID, now)
	took := time.Since(start).Milliseconds()
	if err == nil && status >= 200 && status < 300 {
		if derr := e.outbox.done(j); derr != nil {
			e.log.Error("outbox remove failed; the job may be sent again", "job", j.ID, "err", derr)
		}
		e.delivered(j, now, status, took)
		return
	}
	msg := ""
	if err != nil {
		msg = err.Error()
	} else {
		msg = fmt.Sprintf("HTTP %d", status)
	}
	d := e.cfg.Delivery
	if err == nil && status == http.StatusGone {
		// 410: the endpoint is gone for good (the Standard Webhooks
		// meaning); retrying for a day would change nothing.
		e.deadJob(j, now, status, msg+": the receiver says the endpoint is gone", took)
		return
	}
	if now.Sub(j.Created) >= d.DeadLetterAfter.D() {
		e.deadJob(j, now, status, msg+fmt.Sprintf("; dead after %d attempts over %s", j.Attempts, now.Sub(j.Created).Round(time.Second)), took)
		return
	}
	wait := backoff(d.InitialBackoff.D(), d.MaxBackoff.D(), j.Attempts)
	if retryAfter > 0 {
		// The receiver said when: honour it, within the cap.
		wait = min(retryAfter, d.MaxBackoff.D())
	}
	j.Due = now.Add(wait)
	j.LastError = msg
	if err := e.outbox.retry(j); err != nil {
		e.log.Error("outbox update failed", "job", j.ID, "err", err)
	}
	e.recordDelivery(DeliveryRecord{Time: now, Job: j.ID, Kind: j.Kind, Target: j.Target, Attempt: j.Attempts,
		Status: status, Outcome: "retry", Error: msg, DurationMS: took, Next: j.Due})
	e.m.deliveries.WithLabelValues(j.Kind, j.Target, "retry").Inc()
}

// backoff is the exponential delay before attempt n+1 with equal jitter:
// half the delay fixed, half random, so retries of many jobs spread out
// but never come back at once.
func backoff(initial, limit time.Duration, n int) time.Duration {
	d := initial
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	d = min(d, limit)
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + rand.N(half+1)
}

// parseRetryAfter reads Retry-After: delay seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
		// Clamped before multiplying: a huge value must not wrap round
		// to a short (or negative) wait. The caller caps it anyway.
		return time.Duration(min(n, int64(365*24*3600))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// send makes the HTTP request. Its timeout comes from the configuration;
// ctx is not cancelled at shutdown, so an answer is always read.
func (e *Engine) send(ctx context.Context, r request, id string, now time.Time) (int, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, e.cfg.Delivery.Timeout.D())
	defer cancel()
	hr, err := http.NewRequestWithContext(ctx, r.method, r.url, bytes.NewReader(r.body))
	if err != nil {
		return 0, 0, err
	}
	for k, vs := range r.header {
		hr.Header[k] = vs
	}
	sign(hr.Header, r.key, id, now, r.body)
	resp, err := e.o.HTTPClient.Do(hr)
	if err != nil {
		// The URL may carry a token: say what failed without it.
		var ue interface{ Unwrap() error }
		if errors.As(err, &ue) && ue.Unwrap() != nil {
			err = ue.Unwrap()
		}
		return 0, 0, fmt.Errorf("%s %s: %w", r.method, redactURL(r.url), err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	var ra time.Duration
	if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
		ra = parseRetryAfter(resp.Header.Get("Retry-After"), now)
	}
	return resp.StatusCode, ra, nil
}

// buildRequest resolves the job's target in the configuration now, so a
// rotated secret or a moved URL applies to jobs already queued.
func (e *Engine) buildRequest(j *job) (request, error) {
	h := http.Header{}
	h.Set("User-Agent", "throughline-alerting")
	if j.Kind == KindNotification {
		rc, ok := e.receivers[j.Target]
		if !ok {
			return request{}, fmt.Errorf("receiver %q is no longer configured", j.Target)
		}
		ct := "application/json"
		if rc.Type == "cloudevents" {
			ct = "application/cloudevents+json"
		}
		h.Set("Content-Type", ct)
		for k, v := range rc.Headers {
			h.Set(k, v)
		}
		key, _ := decodeSecret(rc.Secret)
		return request{method: http.MethodPost, url: rc.URL, header: h, body: j.Body, key: key}, nil
	}
	t, ok := e.triggers[j.Target]
	if !ok {
		return request{}, fmt.Errorf("trigger %q is no longer configured", j.Target)
	}
	a := t.Action
	h.Set("Content-Type", "application/json")
	h.Set("Accept", "application/json")
	for k, v := range a.Headers {
		h.Set(k, v)
	}
	body := j.Body
	switch a.Type {
	case ActionRundeck:
		if a.Token != "" {
			h.Set("X-Rundeck-Auth-Token", a.Token)
		}
	case ActionStackStorm:
		if a.Token != "" {
			h.Set("St2-Api-Key", a.Token)
		}
	case ActionAWX, ActionEDA:
		if a.Token != "" {
			h.Set("Authorization", "Bearer "+a.Token)
		}
	case ActionPagerDuty:
		// The routing key is a secret: it joins the body only here, never
		// the outbox file.
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			return request{}, fmt.Errorf("pagerduty body: %w", err)
		}
		m["routing_key"] = a.RoutingKey
		b, err := json.Marshal(m)
		if err != nil {
			return request{}, err
		}
		body = b
	}
	var key []byte
	if a.Secret != "" {
		key, _ = decodeSecret(a.Secret)
	}
	return request{method: a.Method, url: a.URL, header: h, body: body, key: key}, nil
}
