package gitlab

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/throughline/throughline/poll"
)

type apiDeployment struct {
	ID          int64   `json:"id"`
	Ref         string  `json:"ref"`
	SHA         string  `json:"sha"`
	Status      string  `json:"status"`
	UpdatedAt   string  `json:"updated_at"`
	FinishedAt  string  `json:"finished_at"`
	User        apiUser `json:"user"`
	Environment struct {
		Name string `json:"name"`
		Tier string `json:"tier"`
	} `json:"environment"`
	Deployable *struct {
		ID         int64  `json:"id"`
		FinishedAt string `json:"finished_at"`
	} `json:"deployable"`
}

type deploymentHook struct {
	ObjectKind      string      `json:"object_kind"`
	Project         hookProject `json:"project"`
	Status          string      `json:"status"`
	StatusChangedAt string      `json:"status_changed_at"`
	DeploymentID    int64       `json:"deployment_id"`
	DeployableID    int64       `json:"deployable_id,omitempty"`
	Environment     string      `json:"environment"`
	EnvironmentTier string      `json:"environment_tier,omitempty"`
	ShortSHA        string      `json:"short_sha"`
	CommitURL       string      `json:"commit_url"`
	Ref             string      `json:"ref"`
	User            apiUser     `json:"user"`
}

// deployments reads deployments updated since the pass's since, oldest
// first; success and failed ones map as the deployment hook does. The
// time is when the deployment finished (the hook's status_changed_at).
func (im *Importer) deployments(p apiProject, req poll.Request) poll.Fetch {
	return func(ctx context.Context, next string, since time.Time) (poll.Page, error) {
		if next == "" {
			q := url.Values{"updated_after": {isoTime(since)}, "order_by": {"updated_at"}, "sort": {"desc"}, "per_page": {strconv.Itoa(im.o.PerPage)}}
			next = im.projectPath(p) + "/deployments?" + q.Encode()
		}
		var ds []apiDeployment
		r, err := im.o.Client.GetJSON(ctx, next, nil, &ds)
		if err != nil {
			return poll.Page{}, err
		}
		page := poll.Page{Next: r.Next(), Items: len(ds), Total: totalOf(r)}
		for _, d := range ds {
			h := deploymentHook{ObjectKind: "deployment", Project: hookProject{p.PathWithNamespace}, Status: d.Status,
				DeploymentID: d.ID, Environment: d.Environment.Name, EnvironmentTier: d.Environment.Tier,
				Ref: d.Ref, User: d.User, CommitURL: "/-/commit/" + d.SHA}
			h.ShortSHA = d.SHA[:min(8, len(d.SHA))]
			h.StatusChangedAt = d.FinishedAt
			if d.Deployable != nil {
				h.DeployableID = d.Deployable.ID
				if h.StatusChangedAt == "" {
					h.StatusChangedAt = d.Deployable.FinishedAt
				}
			}
			if h.StatusChangedAt == "" {
				h.StatusChangedAt = d.UpdatedAt
			}
			evs, err := im.parse(h)
			n, err := poll.Skip(req.Logger, fmt.Sprintf("deployment %d", d.ID), err)
			if err != nil {
				return poll.Page{}, err
			}
			page.Skipped += n
			page.Events = append(page.Events, evs...)
		}
		return page, nil
	}
}

type apiPipeline struct {
	ID         int64  `json:"id"`
	IID        int64  `json:"iid"`
	Name       string `json:"name"`
	Ref        string `json:"ref"`
	Tag        bool   `json:"tag"`
	SHA        string `json:"sha"`
	Source     string `json:"source"`
	Status     string `json:"status"`
	FinishedAt string `json:"finished_at"`
}

type pipelineHook struct {
	ObjectKind string      `json:"object_kind"`
	Project    hookProject `json:"project"`
	Pipeline   apiPipeline `json:"object_attributes"`
}

// pipelines reads pipelines updated since the pass's since; each finished
// one (success, failed) is read again on its own for its name and finish
// time, which the list leaves out, and maps as the pipeline hook does.
func (im *Importer) pipelines(p apiProject, req poll.Request) poll.Fetch {
	return func(ctx context.Context, next string, since time.Time) (poll.Page, error) {
		if next == "" {
			q := url.Values{"updated_after": {isoTime(since)}, "order_by": {"updated_at"}, "sort": {"desc"}, "per_page": {strconv.Itoa(im.o.PerPage)}}
			next = im.projectPath(p) + "/pipelines?" + q.Encode()
		}
		var ps []apiPipeline
		r, err := im.o.Client.GetJSON(ctx, next, nil, &ps)
		if err != nil {
			return poll.Page{}, err
		}
		page := poll.Page{Next: r.Next(), Items: len(ps), Total: totalOf(r)}
		for _, pl := range ps {
			if pl.Status != "success" && pl.Status != "failed" {
				continue
			}
			var full apiPipeline
			if _, err := im.o.Client.GetJSON(ctx, fmt.Sprintf("%s/pipelines/%d", im.projectPath(p), pl.ID), nil, &full); err != nil {
				return poll.Page{}, err
			}
			if full.ID == 0 {
				full = pl
			}
			evs, err := im.parse(pipelineHook{ObjectKind: "pipeline", Project: hookProject{p.PathWithNamespace}, Pipeline: full})
			n, err := poll.Skip(req.Logger, fmt.Sprintf("pipeline %d", pl.ID), err)
			if err != nil {
				return poll.Page{}, err
			}
			page.Skipped += n
			page.Events = append(page.Events, evs...)
		}
		return page, nil
	}
}
