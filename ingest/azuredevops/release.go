package azuredevops

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/throughline/throughline/ingest"
)

type artifact struct {
	Type                string `json:"type"`
	Alias               string `json:"alias"`
	DefinitionReference map[string]struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"definitionReference"`
}

// commit returns the commit an artifact was built from: sourceVersion for
// build artifacts, version for Git and GitHub ones; only hex ids count.
func (a artifact) commit() string {
	for _, key := range []string{"sourceVersion", "version"} {
		if v, ok := a.DefinitionReference[key]; ok && isHex(v.ID) {
			return v.ID
		}
	}
	return ""
}

type release struct {
	ID                int64      `json:"id"`
	Name              string     `json:"name"`
	Artifacts         []artifact `json:"artifacts"`
	ReleaseDefinition struct {
		Name string `json:"name"`
	} `json:"releaseDefinition"`
}

// releaseDeployment: a classic release pipeline finished deploying a
// release to one stage (environment). The service is the release pipeline
// (through PipelineServices); the commits are those of the release's
// artifacts, when the payload lists them.
func (w *Webhook) releaseDeployment(env envelope) ([]ingest.Event, error) {
	var r struct {
		Environment struct {
			ID         int64  `json:"id"`
			Name       string `json:"name"`
			Status     string `json:"status"`
			ModifiedOn string `json:"modifiedOn"`
			Release    struct {
				ID   int64  `json:"id"`
				Name string `json:"name"`
			} `json:"release"`
		} `json:"environment"`
		Deployment struct {
			ID                int64   `json:"id"`
			DeploymentStatus  string  `json:"deploymentStatus"`
			CompletedOn       string  `json:"completedOn"`
			Release           release `json:"release"`
			ReleaseDefinition struct {
				Name string `json:"name"`
			} `json:"releaseDefinition"`
		} `json:"deployment"`
		Release release `json:"release"`
		Project struct {
			Name string `json:"name"`
		} `json:"project"`
	}
	if err := resource(env, &r); err != nil {
		return nil, err
	}
	status := r.Environment.Status
	if status == "" {
		status = r.Deployment.DeploymentStatus
	}
	out, err := outcome(env.EventType, status)
	if err != nil {
		return nil, err
	}
	if r.Environment.Name == "" {
		return nil, fmt.Errorf("%w: %s: resource.environment.name is missing", ingest.ErrPayload, env.EventType)
	}
	field, ts := "resource.deployment.completedOn", r.Deployment.CompletedOn
	if ts == "" {
		field, ts = "resource.environment.modifiedOn", r.Environment.ModifiedOn
	}
	if ts == "" {
		field, ts = "createdDate", env.CreatedDate
	}
	t, err := parseTime(env.EventType, field, ts)
	if err != nil {
		return nil, err
	}
	rel := r.Deployment.Release
	if rel.ID == 0 && len(rel.Artifacts) == 0 {
		rel = r.Release
	}
	if rel.ID == 0 {
		rel.ID, rel.Name = r.Environment.Release.ID, r.Environment.Release.Name
	}
	pipeline := firstNonEmpty(r.Deployment.ReleaseDefinition.Name, rel.ReleaseDefinition.Name, r.Release.ReleaseDefinition.Name)
	service := w.pipelineService(pipeline)
	if service == "" {
		service = r.Project.Name
	}
	var shas []string
	for _, a := range rel.Artifacts {
		shas = append(shas, a.commit())
	}
	var id, subject string
	if r.Deployment.ID != 0 {
		subject = strconv.FormatInt(r.Deployment.ID, 10)
		id = "release_deployment:" + subject
	} else {
		if r.Environment.ID == 0 {
			return nil, fmt.Errorf("%w: %s: neither resource.deployment.id nor resource.environment.id is set", ingest.ErrPayload, env.EventType)
		}
		// One release stage can be redeployed; its time tells them apart.
		subject = fmt.Sprintf("%d/%d", rel.ID, r.Environment.ID)
		id = fmt.Sprintf("release_deployment:%s:%d", subject, t.Unix())
	}
	return []ingest.Event{{
		ID:          id,
		Type:        ingest.TypeDeploymentFinished,
		Time:        t,
		Subject:     subject,
		Service:     service,
		Environment: w.environment(r.Environment.Name),
		Outcome:     out,
		Commits:     commits(shas...),
		Attributes: attrs(
			"pipeline", pipeline,
			"release", rel.Name,
			"release_id", strconv.FormatInt(rel.ID, 10),
			"stage", r.Environment.Name,
			"status", status,
			"project", r.Project.Name,
		),
	}}, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

func isHex(s string) bool {
	if len(s) < 7 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}
