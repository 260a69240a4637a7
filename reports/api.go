package reports

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/throughline/throughline/server"
)

//go:embed openapi.json
var openAPIPaths []byte

// Mount serves the runs and the latest rendering of each schedule under
// /api/v1, with their OpenAPI path items:
//
//	GET /api/v1/reports/runs?name=&limit=    recorded runs, newest first
//	GET /api/v1/reports/{name}?format=&run=  the latest rendering (html, pdf, md, json)
func (s *Scheduler) Mount() server.Mount {
	var paths map[string]any
	if err := json.Unmarshal(openAPIPaths, &paths); err != nil {
		// The file is embedded and tested: this is a build defect.
		panic(fmt.Sprintf("reports: openapi.json: %v", err))
	}
	return server.Mount{
		Register: func(api *gin.RouterGroup) {
			api.GET("/reports/runs", s.getRuns)
			api.GET("/reports/:name", s.getReport)
		},
		Paths: paths,
	}
}

type apiError struct {
	Error string `json:"error"`
}

func fail(c *gin.Context, status int, msg string) {
	c.AbortWithStatusJSON(status, apiError{Error: msg})
}

func (s *Scheduler) getRuns(c *gin.Context) {
	name := c.Query("name")
	if name != "" && !nameRE.MatchString(name) {
		fail(c, http.StatusBadRequest, "name: "+strconv.Quote(name)+" is not a schedule name")
		return
	}
	limit := 50
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			fail(c, http.StatusBadRequest, "limit: must be a whole number from 1 to 1000")
			return
		}
		limit = n
	}
	runs, err := ListRuns(c.Request.Context(), s.o.Store, name, limit)
	if err != nil {
		s.o.Logger.Error("list report runs", "err", err)
		fail(c, http.StatusServiceUnavailable, "report runs unavailable: ClickHouse did not answer")
		return
	}
	c.JSON(http.StatusOK, gin.H{"runs": runs})
}

var contentTypes = map[string]string{
	FormatHTML:     "text/html; charset=utf-8",
	FormatPDF:      "application/pdf",
	FormatMarkdown: "text/markdown; charset=utf-8",
	FormatJSON:     "application/json",
}

func (s *Scheduler) getReport(c *gin.Context) {
	name := c.Param("name")
	format := c.DefaultQuery("format", FormatHTML)
	if !isFormat(format) {
		fail(c, http.StatusBadRequest, "format: "+strconv.Quote(format)+" is not html, pdf, md or json")
		return
	}
	if !nameRE.MatchString(name) {
		fail(c, http.StatusNotFound, "no report schedule named "+strconv.Quote(name)+s.configured())
		return
	}
	runID := c.Query("run")
	id, dir, ok, err := latestRun(c.Request.Context(), s.o.Store, name, runID)
	if err != nil {
		s.o.Logger.Error("latest report run", "schedule", name, "err", err)
		fail(c, http.StatusServiceUnavailable, "report runs unavailable: ClickHouse did not answer")
		return
	}
	if !ok {
		switch {
		case runID != "":
			fail(c, http.StatusNotFound, "schedule "+name+" has no run "+strconv.Quote(runID)+" with a rendering (see /api/v1/reports/runs?name="+name+")")
		case s.plan(name) != nil:
			next := s.plan(name).when.next(s.o.Clock.Now())
			fail(c, http.StatusNotFound, "schedule "+name+" has not run yet; its next run is at "+next.UTC().Format("2006-01-02T15:04:05Z"))
		default:
			fail(c, http.StatusNotFound, "no report schedule named "+strconv.Quote(name)+s.configured())
		}
		return
	}
	body, err := s.rendering(c, dir, format)
	if err != nil {
		s.o.Logger.Error("serve report", "schedule", name, "run", id, "format", format, "err", err)
		fail(c, http.StatusInternalServerError, "the "+format+" rendering of run "+id+" is unavailable: "+err.Error())
		return
	}
	disposition := "inline"
	if format == FormatPDF || format == FormatMarkdown {
		disposition = "attachment"
	}
	c.Header("Content-Disposition", disposition+`; filename="`+id+"."+format+`"`)
	c.Header("X-Report-Run", id)
	c.Data(http.StatusOK, contentTypes[format], body)
}

// rendering reads a run's file, or renders it from the run's JSON when
// the run did not need that format.
func (s *Scheduler) rendering(c *gin.Context, dir, format string) ([]byte, error) {
	base, err := filepath.Abs(s.o.OutDir)
	if err != nil {
		return nil, err
	}
	full := filepath.Join(base, filepath.FromSlash(dir))
	if !strings.HasPrefix(full, base+string(filepath.Separator)) {
		return nil, errors.New("run directory outside the reports directory")
	}
	if b, err := os.ReadFile(filepath.Join(full, "report."+format)); err == nil {
		return b, nil
	}
	raw, err := os.ReadFile(filepath.Join(full, "report.json"))
	if err != nil {
		return nil, errors.New("the run's files are gone from the reports directory")
	}
	var rep Report
	if err := json.Unmarshal(raw, &rep); err != nil {
		return nil, fmt.Errorf("the run's report.json: %w", err)
	}
	if format == FormatPDF {
		var h bytes.Buffer
		if err := RenderHTML(&h, &rep); err != nil {
			return nil, err
		}
		return s.o.Chromium.PDF(c.Request.Context(), h.Bytes())
	}
	var b bytes.Buffer
	if err := Render(&b, &rep, format); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (s *Scheduler) plan(name string) *plan {
	for _, p := range s.plans {
		if p.s.Name == name {
			return p
		}
	}
	return nil
}

func (s *Scheduler) configured() string {
	if len(s.plans) == 0 {
		return " (no schedules are configured under reports.schedules)"
	}
	names := make([]string, len(s.plans))
	for i, p := range s.plans {
		names[i] = p.s.Name
	}
	return " (configured: " + strings.Join(names, ", ") + ")"
}
