package server

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/throughline/throughline/ingest"
)

func (s *Server) postWebhook(c *gin.Context) {
	name := c.Param("source")
	wh, ok := s.o.Webhooks[name]
	if !ok {
		fail(c, http.StatusNotFound, fmt.Sprintf("unknown source %q (configured: %s)", name, strings.Join(keys(s.o.Webhooks), ", ")), nil)
		return
	}
	s.handleWebhook(c, wh)
}

func (s *Server) postCustomWebhook(c *gin.Context) {
	name := c.Param("name")
	wh, ok := s.o.CustomWebhooks[name]
	if !ok {
		fail(c, http.StatusNotFound, fmt.Sprintf("unknown custom mapping %q (configured: %s)", name, strings.Join(keys(s.o.CustomWebhooks), ", ")), nil)
		return
	}
	s.handleWebhook(c, wh)
}

func (s *Server) handleWebhook(c *gin.Context, wh ingest.Webhook) {
	body, ok := s.readBody(c)
	if !ok {
		return
	}
	if err := wh.Verify(c.Request.Header, body); err != nil {
		qv, ok := wh.(queryVerifier)
		if !ok || c.Query("token") == "" || qv.VerifyQuery(c.Request.URL.Query()) != nil {
			s.o.Pipeline.Reject("signature")
			fail(c, http.StatusUnauthorized, err.Error(), nil)
			return
		}
	}
	delivery := ""
	if d, ok := wh.(ingest.DeliveryIDer); ok {
		delivery = d.DeliveryID(c.Request.Header)
	}
	if delivery != "" && s.deliveries.seen(wh.Source(), delivery) {
		// A redelivery of a delivery already stored: nothing to do. (Event
		// ids are deterministic too, so one that slipped past this cache
		// is still stored once.)
		c.JSON(http.StatusOK, gin.H{"accepted": 0, "duplicate": true, "delivery": delivery})
		return
	}
	events, err := wh.Parse(c.Request.Header, body)
	// Bad items beside good ones: the good are stored, the bad reported.
	var rejected []gin.H
	var items ingest.ItemErrors
	if errors.As(err, &items) && len(events) > 0 {
		for _, it := range items {
			rejected = append(rejected, gin.H{"item": it.Item, "error": strings.TrimPrefix(it.Err.Error(), ingest.ErrPayload.Error()+": ")})
			s.o.Pipeline.Reject("payload")
		}
		err = nil
	}
	switch {
	case errors.Is(err, ingest.ErrIgnored):
		c.JSON(http.StatusAccepted, gin.H{"ignored": strings.TrimPrefix(err.Error(), ingest.ErrIgnored.Error()+": ")})
		return
	case err != nil:
		s.o.Pipeline.Reject("payload")
		fail(c, http.StatusBadRequest, err.Error(), nil)
		return
	}
	now := s.o.Now().UTC()
	payload := ingest.NewPayload(wh.Source(), c.ContentType(), body, now)
	records := make([]ingest.Record, 0, len(events))
	for i, ev := range events {
		ev.Normalize()
		if err := ev.Validate(); err != nil {
			s.o.Pipeline.Reject(reason(err))
			rejected = append(rejected, gin.H{"item": fmt.Sprintf("event %d (%s %s)", i, ev.Type, ev.Subject), "error": err.Error()})
			continue
		}
		records = append(records, ingest.Record{Event: ev, PayloadID: payload.ID, Received: now, Version: uint64(now.UnixNano()) + uint64(i)})
	}
	if len(records) == 0 {
		fail(c, http.StatusBadRequest, fmt.Sprintf("no valid event in the payload: %s", rejectedText(rejected)), nil)
		return
	}
	if err := s.o.Pipeline.Submit(c.Request.Context(), records, []ingest.Payload{payload}); err != nil {
		fail(c, http.StatusServiceUnavailable, "events not stored, retry later: "+err.Error(), nil)
		return
	}
	resp := gin.H{"accepted": len(records)}
	if len(rejected) > 0 {
		resp["rejected"] = rejected
	}
	if delivery != "" {
		s.deliveries.add(wh.Source(), delivery)
		resp["delivery"] = delivery
	}
	c.JSON(http.StatusOK, resp)
}

func rejectedText(rs []gin.H) string {
	parts := make([]string, 0, len(rs))
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%v: %v", r["item"], r["error"]))
	}
	return strings.Join(parts, "; ")
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	if len(out) == 0 {
		return []string{"none"}
	}
	return out
}

// deliveryCache remembers recently stored delivery ids per source, so a
// tool's redelivery (or a replayed request) is acknowledged without being
// parsed and written again. It is bounded: the oldest ids are forgotten.
type deliveryCache struct {
	mu    sync.Mutex
	ids   map[string]struct{}
	order []string
	max   int
}

func newDeliveryCache(max int) *deliveryCache {
	return &deliveryCache{ids: map[string]struct{}{}, max: max}
}

func (d *deliveryCache) seen(source, id string) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.ids[source+"\x00"+id]
	return ok
}

func (d *deliveryCache) add(source, id string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	k := source + "\x00" + id
	if _, ok := d.ids[k]; ok {
		return
	}
	d.ids[k] = struct{}{}
	d.order = append(d.order, k)
	if len(d.order) > d.max {
		delete(d.ids, d.order[0])
		d.order = d.order[1:]
	}
}
