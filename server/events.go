package server

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/throughline/throughline/eventstore"
	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/queries"
)

type rejection struct {
	Index int    `json:"index"`
	ID    string `json:"id,omitempty"`
	Error string `json:"error"`
}

type ingestResponse struct {
	Accepted int         `json:"accepted"`
	Rejected []rejection `json:"rejected"`
	Warnings []string    `json:"warnings,omitempty"`
	Error    string      `json:"error,omitempty"`
}

// readBody reads a request body within the size limit, gunzipping when
// the client says so. It answers the request itself on failure.
func (s *Server) readBody(c *gin.Context) ([]byte, bool) {
	r := http.MaxBytesReader(c.Writer, c.Request.Body, s.o.MaxBodyBytes)
	var src io.Reader = r
	switch enc := strings.ToLower(strings.TrimSpace(c.GetHeader("Content-Encoding"))); enc {
	case "", "identity", "gzip", "x-gzip":
	default:
		fail(c, http.StatusUnsupportedMediaType, fmt.Sprintf("Content-Encoding %q is not supported (send gzip or no encoding)", enc), nil)
		return nil, false
	}
	if enc := strings.ToLower(strings.TrimSpace(c.GetHeader("Content-Encoding"))); enc == "gzip" || enc == "x-gzip" {
		gz, err := gzip.NewReader(r)
		if err != nil {
			fail(c, http.StatusBadRequest, "body says Content-Encoding: gzip but is not gzip: "+err.Error(), nil)
			return nil, false
		}
		defer gz.Close()
		src = io.LimitReader(gz, s.o.MaxBodyBytes+1)
	}
	body, err := io.ReadAll(src)
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) || int64(len(body)) > s.o.MaxBodyBytes {
		fail(c, http.StatusRequestEntityTooLarge, fmt.Sprintf("body larger than the limit of %d bytes: split it into smaller requests", s.o.MaxBodyBytes), nil)
		return nil, false
	}
	if err != nil {
		fail(c, http.StatusBadRequest, "could not read body: "+err.Error(), nil)
		return nil, false
	}
	return body, true
}

func (s *Server) postEvents(c *gin.Context) {
	ct := c.ContentType()
	if ct == "application/cloudevents-batch+json" || ct == "application/cloudevents+json" {
		fail(c, http.StatusUnsupportedMediaType, "Content-Type "+ct+": CloudEvents envelopes go to POST /webhooks/cdevents (binary, structured or batch mode); this endpoint takes generic events or CDEvents bodies", nil)
		return
	}
	if ct != "" && ct != "application/json" && ct != "application/x-ndjson" && ct != "application/jsonl" && ct != "text/plain" {
		fail(c, http.StatusUnsupportedMediaType, "Content-Type "+ct+" is not supported: send application/json (an array) or application/x-ndjson", nil)
		return
	}
	body, ok := s.readBody(c)
	if !ok {
		return
	}
	items, err := ingest.DecodeBody(body)
	if err != nil {
		s.o.Pipeline.Reject("body")
		fail(c, http.StatusBadRequest, err.Error(), nil)
		return
	}
	now := s.o.Now().UTC()
	payload := ingest.NewPayload("api", ct, body, now)
	resp := ingestResponse{Rejected: []rejection{}}
	// The same (source, id) twice in one request is one event: the last wins.
	pos := map[[2]string]int{}
	records := make([]ingest.Record, 0, len(items))
	for _, it := range items {
		for _, w := range it.Warnings {
			resp.Warnings = append(resp.Warnings, fmt.Sprintf("item %d: %s", it.Index, w))
		}
		if it.Err != nil {
			if it.Raw == nil {
				s.o.Pipeline.Reject(reason(it.Err))
				resp.Rejected = append(resp.Rejected, rejection{Index: it.Index, ID: it.ID, Error: it.Err.Error()})
				continue
			}
			r := reason(it.Err)
			if _, isJSON := it.Err.(*ingest.FieldError); !isJSON && !json.Valid(it.Raw) {
				r = "json"
			}
			s.o.Pipeline.Reject(r)
			resp.Rejected = append(resp.Rejected, rejection{Index: it.Index, ID: peekID(it.Raw), Error: it.Err.Error()})
			continue
		}
		ev := it.Event
		rec := ingest.Record{Event: ev, PayloadID: payload.ID, Received: now, Version: uint64(now.UnixNano()) + uint64(it.Index)}
		key := [2]string{ev.Source, ev.ID}
		if i, dup := pos[key]; dup {
			records[i] = rec
		} else {
			pos[key] = len(records)
			records = append(records, rec)
		}
		resp.Accepted++
	}
	if len(records) == 0 {
		resp.Error = "no event accepted: see rejected"
		c.JSON(http.StatusBadRequest, resp)
		return
	}
	if err := s.o.Pipeline.Submit(c.Request.Context(), records, []ingest.Payload{payload}); err != nil {
		s.o.Logger.Error("submit events", "err", err)
		fail(c, http.StatusServiceUnavailable, "events not stored, retry later: "+err.Error(), nil)
		return
	}
	c.JSON(http.StatusOK, resp)
}

// reason is a short, bounded label for the rejection counter.
func reason(err error) string {
	var fe *ingest.FieldError
	if errors.As(err, &fe) {
		f := fe.Field
		if i := strings.IndexAny(f, "[."); i > 0 {
			f = f[:i]
		}
		return "field_" + f
	}
	var ue *ingest.UnsupportedCDEventError
	if errors.As(err, &ue) {
		return "cdevent_type"
	}
	return "invalid"
}

// peekID finds an item's id for the rejection list, when it has one.
func peekID(raw []byte) string {
	var v struct {
		ID      any `json:"id"`
		Context struct {
			ID string `json:"id"`
		} `json:"context"`
	}
	if json.Unmarshal(raw, &v) != nil {
		return ""
	}
	switch id := v.ID.(type) {
	case string:
		return id
	case float64:
		return strconv.FormatFloat(id, 'f', -1, 64)
	}
	return v.Context.ID
}

const maxListLimit = 10000

func (s *Server) getEvents(c *gin.Context) {
	now := s.o.Now().UTC()
	f := queries.EventFilter{
		Source: c.Query("source"), Type: c.Query("type"), Subject: c.Query("subject"),
		Service: c.Query("service"), From: time.Unix(0, 0).UTC(), To: now.Add(24 * time.Hour * 365 * 10), Limit: 100,
	}
	if f.Type != "" && !contains(ingest.Types(), f.Type) {
		fail(c, http.StatusBadRequest, fmt.Sprintf("type %q is not an event type (known: %s)", f.Type, strings.Join(ingest.Types(), ", ")), nil)
		return
	}
	var err error
	if v := c.Query("from"); v != "" {
		if f.From, err = parseTimeParam("from", v); err != nil {
			fail(c, http.StatusBadRequest, err.Error(), nil)
			return
		}
	}
	if v := c.Query("to"); v != "" {
		if f.To, err = parseTimeParam("to", v); err != nil {
			fail(c, http.StatusBadRequest, err.Error(), nil)
			return
		}
	}
	if !f.From.Before(f.To) {
		fail(c, http.StatusBadRequest, "from must be before to", nil)
		return
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxListLimit {
			fail(c, http.StatusBadRequest, fmt.Sprintf("limit must be a whole number from 1 to %d, not %q", maxListLimit, v), nil)
			return
		}
		f.Limit = n
	}
	evs, err := s.o.Events.List(c.Request.Context(), f)
	if err != nil {
		s.o.Logger.Error("list events", "err", err)
		fail(c, http.StatusServiceUnavailable, "event store unavailable: "+errString(err), nil)
		return
	}
	if evs == nil {
		evs = []ingest.Event{}
	}
	c.JSON(http.StatusOK, gin.H{"events": evs})
}

var _ = eventstore.New

func errString(err error) string {
	s := err.Error()
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
