package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/throughline/throughline/eventstore"
	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/metrics"
)

// Options configure the HTTP server.
type Options struct {
	Pipeline *ingest.Pipeline
	Events   *eventstore.Store
	Measures *metrics.Computer
	// Ready reports whether ClickHouse answers and migrations are applied.
	Ready func(ctx context.Context) error
	// Gatherer serves /metrics.
	Gatherer prometheus.Gatherer
	// Tokens, when any, are required on /api and /webhooks.
	Tokens []string
	// MaxBodyBytes caps request bodies (default 10 MiB).
	MaxBodyBytes int64
	// Webhooks by source name (POST /webhooks/{source}); custom mappings
	// are served under /webhooks/custom/{name}.
	Webhooks       map[string]ingest.Webhook
	CustomWebhooks map[string]ingest.Webhook
	// Mounts add endpoints owned by other packages (reports, alerting,
	// dashboards) under /api/v1, behind the same authentication.
	Mounts []Mount
	Logger *slog.Logger
	// Now is the clock (tests inject one).
	Now func() time.Time
}

// Server is the HTTP API.
type Server struct {
	o          Options
	engine     *gin.Engine
	doc        []byte
	deliveries *deliveryCache
}

// Mount is a set of endpoints another package serves under /api/v1, with
// their OpenAPI path items (keyed by the full path, e.g.
// "/api/v1/reports/runs"), so the served document stays complete.
type Mount struct {
	Register func(api *gin.RouterGroup)
	Paths    map[string]any
}

// New builds the routes.
func New(o Options) (*Server, error) {
	if o.Pipeline == nil || o.Events == nil || o.Measures == nil {
		return nil, errors.New("server: Pipeline, Events and Measures are required")
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = 10 << 20
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Gatherer == nil {
		o.Gatherer = prometheus.NewRegistry()
	}
	if o.Ready == nil {
		o.Ready = func(context.Context) error { return nil }
	}
	gin.SetMode(gin.ReleaseMode)
	e := gin.New()
	e.HandleMethodNotAllowed = true
	s := &Server{o: o, engine: e, deliveries: newDeliveryCache(100000)}
	e.Use(s.recoverer(), s.accessLog())
	e.NoRoute(func(c *gin.Context) {
		fail(c, http.StatusNotFound, "no such endpoint: "+c.Request.Method+" "+c.Request.URL.Path+" (see /api/v1/openapi.json)", nil)
	})
	e.NoMethod(func(c *gin.Context) {
		fail(c, http.StatusMethodNotAllowed, "method "+c.Request.Method+" not allowed on "+c.Request.URL.Path, nil)
	})

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", gin.WrapH(promhttp.HandlerFor(o.Gatherer, promhttp.HandlerOpts{})))

	api := e.Group("/api/v1", s.auth(false))
	api.POST("/events", s.postEvents)
	api.GET("/events", s.getEvents)
	api.GET("/measures", s.getMeasures)
	api.GET("/measures/definitions", s.getDefinitions)
	api.GET("/openapi.json", s.openapi)
	for _, m := range o.Mounts {
		m.Register(api)
	}
	doc, err := mergeOpenAPI(openAPIDoc, o.Mounts)
	if err != nil {
		return nil, err
	}
	s.doc = doc

	hooks := e.Group("/webhooks", s.auth(true))
	hooks.POST("/custom/:name", s.postCustomWebhook)
	hooks.POST("/:source", s.postWebhook)
	return s, nil
}

// Handler returns the http.Handler.
func (s *Server) Handler() http.Handler { return s.engine }

// Routes lists "METHOD path" of every registered route, in OpenAPI path
// syntax ({param}); the OpenAPI test compares them with the document.
func (s *Server) Routes() []string {
	var out []string
	for _, r := range s.engine.Routes() {
		p := r.Path
		parts := strings.Split(p, "/")
		for i, part := range parts {
			if strings.HasPrefix(part, ":") {
				parts[i] = "{" + part[1:] + "}"
			}
		}
		out = append(out, r.Method+" "+strings.Join(parts, "/"))
	}
	return out
}

// apiError is the one error body: what went wrong and what to fix.
type apiError struct {
	Error  string `json:"error"`
	Detail any    `json:"detail,omitempty"`
}

func fail(c *gin.Context, status int, msg string, detail any) {
	c.AbortWithStatusJSON(status, apiError{Error: msg, Detail: detail})
}

// queryVerifier is a webhook whose sender can authenticate with a ?token=
// query parameter only (Jira Data Center).
type queryVerifier interface {
	VerifyQuery(q url.Values) error
}

// auth requires a bearer token when tokens are configured. Webhook senders
// that cannot set headers may pass ?token= instead; it is never logged.
func (s *Server) auth(allowQuery bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		if len(s.o.Tokens) == 0 {
			return
		}
		// Webhook senders that sign with their own bearer token (Argo CD,
		// CDEvents) pass the API token as ?token=, which then wins.
		tok := ""
		if q := c.Query("token"); allowQuery && q != "" {
			tok = q
		} else if h := c.GetHeader("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "Bearer ") {
			tok = strings.TrimSpace(h[7:])
		}
		if tok == "" {
			c.Header("WWW-Authenticate", `Bearer realm="throughline"`)
			fail(c, http.StatusUnauthorized, "missing API token: send Authorization: Bearer <token>", nil)
			return
		}
		for _, want := range s.o.Tokens {
			if subtle.ConstantTimeCompare([]byte(tok), []byte(want)) == 1 {
				return
			}
		}
		// A sender that can only put its own source's token in the URL
		// (Jira Data Center) authenticates as that source.
		if allowQuery && c.Query("token") != "" {
			if qv, ok := s.o.Webhooks[c.Param("source")].(queryVerifier); ok && qv.VerifyQuery(c.Request.URL.Query()) == nil {
				return
			}
		}
		fail(c, http.StatusUnauthorized, "invalid API token", nil)
	}
}

func (s *Server) recoverer() gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				s.o.Logger.Error("handler panic", "path", c.FullPath(), "panic", r)
				fail(c, http.StatusInternalServerError, "internal error", nil)
			}
		}()
		c.Next()
	}
}

func (s *Server) accessLog() gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		// The path only, never the query string: it may carry a token.
		s.o.Logger.Debug("request", "method", c.Request.Method, "path", c.Request.URL.Path,
			"status", c.Writer.Status(), "duration", time.Since(start))
	}
}

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 5*time.Second)
	defer cancel()
	if err := s.o.Ready(ctx); err != nil {
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not ready", "error": err.Error()})
		return
	}
	ev, batches := s.o.Pipeline.SpoolDepth()
	c.JSON(http.StatusOK, gin.H{"status": "ready", "spool_events": ev, "spool_batches": batches})
}

func (s *Server) getDefinitions(c *gin.Context) {
	type def struct {
		Name        string `json:"name"`
		Unit        string `json:"unit"`
		Family      string `json:"family"`
		Description string `json:"description"`
		Prometheus  string `json:"prometheus"`
	}
	out := []def{}
	for _, d := range metrics.Definitions {
		out = append(out, def{d.Name, d.Unit, d.Family, d.Description, metrics.PromName(d)})
	}
	c.JSON(http.StatusOK, gin.H{"measures": out, "tiers": s.o.Measures.Tiers()})
}
