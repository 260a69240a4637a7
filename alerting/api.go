package alerting

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/throughline/throughline/server"
)

// maxBody bounds the bodies of the alerting endpoints.
const maxBody = 4 << 20

type apiError struct {
	Error  string `json:"error"`
	Detail any    `json:"detail,omitempty"`
}

func fail(c *gin.Context, status int, msg string) {
	c.AbortWithStatusJSON(status, apiError{Error: msg})
}

// Mount serves the alerting API under /api/v1, with its OpenAPI path
// items, for server.Options.Mounts.
func (e *Engine) Mount() server.Mount {
	return server.Mount{
		Register: func(api *gin.RouterGroup) {
			g := api.Group("/alerts")
			g.GET("", e.getAlerts)
			g.POST("/webhook", e.postWebhook)
			g.GET("/audit", e.getAudit)
			g.GET("/deliveries", e.getDeliveries)
			g.POST("/actions/:id/approve", e.decide(true))
			g.POST("/actions/:id/deny", e.decide(false))
			g.GET("/killswitch", e.getKillSwitch)
			g.POST("/killswitch", e.postKillSwitch)
			g.POST("/runbooks/callback", e.postCallback)
		},
		Paths: openAPIPaths(),
	}
}

type alertView struct {
	Alert
	Actions []Action `json:"actions"`
}

func (e *Engine) getAlerts(c *gin.Context) {
	state, rule, fp := c.Query("state"), c.Query("rule"), c.Query("fingerprint")
	if state != "" && state != StatePending && state != StateFiring && state != StateResolved {
		fail(c, http.StatusBadRequest, "state must be pending, firing or resolved")
		return
	}
	acts := e.Actions()
	out := []alertView{}
	for _, a := range e.Alerts() {
		if (state != "" && a.State != state) || (rule != "" && a.Rule != rule) || (fp != "" && a.Fingerprint != fp) {
			continue
		}
		v := alertView{Alert: a, Actions: []Action{}}
		for _, act := range acts {
			if act.Fingerprint == a.Fingerprint {
				v.Actions = append(v.Actions, act)
			}
		}
		out = append(out, v)
	}
	c.JSON(http.StatusOK, gin.H{"alerts": out, "kill_switch": e.KillSwitchState()})
}

func readBody(c *gin.Context) ([]byte, bool) {
	b, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			fail(c, http.StatusRequestEntityTooLarge, "body larger than 4 MiB")
		} else {
			fail(c, http.StatusBadRequest, "unreadable body")
		}
		return nil, false
	}
	return b, true
}

func (e *Engine) postWebhook(c *gin.Context) {
	body, ok := readBody(c)
	if !ok {
		return
	}
	res, err := e.ReceiveAlertmanager(c.Request.Context(), body)
	if errors.Is(err, ErrBadInput) {
		fail(c, http.StatusBadRequest, err.Error())
		return
	}
	if err != nil {
		// Alertmanager retries on 5xx: the events were not stored.
		e.log.Warn("alertmanager notification not taken", "err", err)
		fail(c, http.StatusServiceUnavailable, "could not store the alert events, retry later")
		return
	}
	e.wakeDelivery()
	c.JSON(http.StatusOK, res)
}

// window reads from, to (RFC 3339 or a date; default the last 7 days) and
// limit (default 100, at most 10000).
func (e *Engine) window(c *gin.Context) (time.Time, time.Time, int, bool) {
	to := e.now().Add(time.Second)
	from := to.Add(-7 * day)
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &from}, {"to", &to}} {
		v := c.Query(p.name)
		if v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			if t, err = time.Parse("2006-01-02", v); err != nil {
				fail(c, http.StatusBadRequest, p.name+" must be RFC 3339 or YYYY-MM-DD")
				return from, to, 0, false
			}
		}
		*p.dst = t.UTC()
	}
	if !from.Before(to) {
		fail(c, http.StatusBadRequest, "from must be before to")
		return from, to, 0, false
	}
	limit := 100
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			fail(c, http.StatusBadRequest, "limit must be an integer in [1, 10000]")
			return from, to, 0, false
		}
		limit = n
	}
	return from, to, limit, true
}

func (e *Engine) getAudit(c *gin.Context) {
	from, to, limit, ok := e.window(c)
	if !ok {
		return
	}
	recs, err := e.Audit(c.Request.Context(), AuditQuery{From: from, To: to, Limit: limit,
		Fingerprint: c.Query("fingerprint"), ActionID: c.Query("action_id"), Event: c.Query("event")})
	if err != nil {
		e.log.Warn("audit query failed", "err", err)
		fail(c, http.StatusServiceUnavailable, "the audit trail cannot be read now (ClickHouse unreachable?)")
		return
	}
	if recs == nil {
		recs = []AuditRecord{}
	}
	c.JSON(http.StatusOK, gin.H{"records": recs})
}

func (e *Engine) getDeliveries(c *gin.Context) {
	from, to, limit, ok := e.window(c)
	if !ok {
		return
	}
	recs, err := e.Deliveries(c.Request.Context(), DeliveryQuery{From: from, To: to, Limit: limit,
		Target: c.Query("target"), Job: c.Query("job")})
	if err != nil {
		e.log.Warn("delivery log query failed", "err", err)
		fail(c, http.StatusServiceUnavailable, "the delivery log cannot be read now (ClickHouse unreachable?)")
		return
	}
	if recs == nil {
		recs = []DeliveryRecord{}
	}
	c.JSON(http.StatusOK, gin.H{"deliveries": recs, "outbox": e.Pending()})
}

type decisionBody struct {
	Approver string `json:"approver"`
	Comment  string `json:"comment"`
}

// decodeStrict decodes a small JSON object, refusing unknown fields.
func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.DisallowUnknownFields()
	return dec.Decode(v)
}

func (e *Engine) decide(approve bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		body, ok := readBody(c)
		if !ok {
			return
		}
		var d decisionBody
		if err := decodeStrict(body, &d); err != nil {
			fail(c, http.StatusBadRequest, "body must be {\"approver\": \"who\", \"comment\": \"why\"}: "+err.Error())
			return
		}
		if d.Approver = strings.TrimSpace(d.Approver); d.Approver == "" || len(d.Approver) > 256 {
			fail(c, http.StatusBadRequest, "approver is required: who approves or denies (at most 256 characters)")
			return
		}
		act, err := e.Decide(c.Param("id"), d.Approver, d.Comment, approve)
		switch {
		case errors.Is(err, ErrNotFound):
			fail(c, http.StatusNotFound, err.Error())
		case errors.Is(err, ErrConflict):
			c.AbortWithStatusJSON(http.StatusConflict, apiError{Error: err.Error(), Detail: act})
		case err != nil:
			fail(c, http.StatusInternalServerError, err.Error())
		default:
			e.wakeDelivery()
			c.JSON(http.StatusOK, act)
		}
	}
}

func (e *Engine) getKillSwitch(c *gin.Context) { c.JSON(http.StatusOK, e.KillSwitchState()) }

type killSwitchBody struct {
	Engaged *bool  `json:"engaged"`
	By      string `json:"by"`
	Reason  string `json:"reason"`
}

func (e *Engine) postKillSwitch(c *gin.Context) {
	body, ok := readBody(c)
	if !ok {
		return
	}
	var k killSwitchBody
	if err := decodeStrict(body, &k); err != nil || k.Engaged == nil {
		fail(c, http.StatusBadRequest, "body must be {\"engaged\": true|false, \"by\": \"who\", \"reason\": \"why\"}")
		return
	}
	if k.By = strings.TrimSpace(k.By); k.By == "" {
		fail(c, http.StatusBadRequest, "by is required: who engages or releases the kill switch")
		return
	}
	ks, err := e.SetKillSwitch(*k.Engaged, k.By, k.Reason)
	if errors.Is(err, ErrConflict) {
		c.AbortWithStatusJSON(http.StatusConflict, apiError{Error: err.Error(), Detail: ks})
		return
	}
	c.JSON(http.StatusOK, ks)
}

type callbackBody struct {
	ActionID string `json:"action_id"`
	Status   string `json:"status"`
	Detail   string `json:"detail"`
	By       string `json:"by"`
}

func (e *Engine) postCallback(c *gin.Context) {
	body, ok := readBody(c)
	if !ok {
		return
	}
	var cb callbackBody
	if err := json.Unmarshal(body, &cb); err != nil {
		fail(c, http.StatusBadRequest, "body must be {\"action_id\": \"...\", \"status\": \"success|failure\", \"detail\": \"...\"}")
		return
	}
	if cb.ActionID == "" {
		fail(c, http.StatusBadRequest, "action_id is required (runbook bodies carry it)")
		return
	}
	if cb.Status != "success" && cb.Status != "failure" {
		fail(c, http.StatusBadRequest, "status must be success or failure")
		return
	}
	act, err := e.Callback(c.Request.Context(), cb.ActionID, cb.Status, cb.Detail, cb.By)
	switch {
	case errors.Is(err, ErrNotFound):
		fail(c, http.StatusNotFound, err.Error())
	case errors.Is(err, ErrConflict):
		c.AbortWithStatusJSON(http.StatusConflict, apiError{Error: err.Error(), Detail: act})
	case err != nil:
		e.log.Warn("callback outcome recorded, automated resolution not stored", "err", err)
		fail(c, http.StatusServiceUnavailable, err.Error())
	default:
		c.JSON(http.StatusOK, act)
	}
}
