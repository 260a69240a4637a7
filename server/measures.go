package server

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/throughline/throughline/metrics"
)

// parseTimeParam accepts RFC 3339 (with offset) or a date (UTC midnight).
func parseTimeParam(name, v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UTC(), nil
	}
	if t, err := time.Parse("2006-01-02", v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("%s: %q is not an RFC 3339 time (2026-11-20T10:04:00Z) or a date (2026-11-20)", name, v)
}

func (s *Server) getMeasures(c *gin.Context) {
	now := s.o.Now().UTC()
	q := metrics.Query{
		To:      now,
		From:    now.Add(-30 * 24 * time.Hour),
		GroupBy: c.Query("group_by"), Service: c.Query("service"), Team: c.Query("team"),
		Product: c.Query("product"), Portfolio: c.Query("portfolio"), Capability: c.Query("capability"),
		Environment: c.Query("environment"),
	}
	var err error
	if v := c.Query("from"); v != "" {
		if q.From, err = parseTimeParam("from", v); err != nil {
			fail(c, http.StatusBadRequest, err.Error(), nil)
			return
		}
	}
	if v := c.Query("to"); v != "" {
		if q.To, err = parseTimeParam("to", v); err != nil {
			fail(c, http.StatusBadRequest, err.Error(), nil)
			return
		}
	}
	for k := range c.Request.URL.Query() {
		if !contains([]string{"from", "to", "group_by", "service", "team", "product", "portfolio", "capability", "environment", "token"}, k) {
			fail(c, http.StatusBadRequest, fmt.Sprintf("unknown parameter %q (known: from, to, group_by, service, team, product, portfolio, capability, environment)", k), nil)
			return
		}
	}
	if err := q.Validate(); err != nil {
		fail(c, http.StatusBadRequest, err.Error(), nil)
		return
	}
	if q.To.Sub(q.From) > 5*366*24*time.Hour {
		fail(c, http.StatusBadRequest, "window longer than 5 years: narrow from/to", nil)
		return
	}
	rep, err := s.o.Measures.Compute(c.Request.Context(), q)
	if err != nil {
		if errors.Is(err, c.Request.Context().Err()) && err != nil && c.Request.Context().Err() != nil {
			return
		}
		s.o.Logger.Error("compute measures", "err", err)
		fail(c, http.StatusServiceUnavailable, "measures unavailable: "+errString(err), nil)
		return
	}
	c.JSON(http.StatusOK, rep)
}
