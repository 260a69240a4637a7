package github

import (
	"context"
	"fmt"
	"time"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/poll"
)

type apiDeployment struct {
	ID          int64  `json:"id"`
	SHA         string `json:"sha"`
	Ref         string `json:"ref"`
	Task        string `json:"task"`
	Environment string `json:"environment"`
	CreatedAt   string `json:"created_at"`
	Creator     user   `json:"creator"`
}

type apiDeploymentStatus struct {
	ID          int64  `json:"id"`
	State       string `json:"state"`
	Environment string `json:"environment"`
	CreatedAt   string `json:"created_at"`
}

type deploymentStatusPayload struct {
	Repo       repository          `json:"repository"`
	Status     apiDeploymentStatus `json:"deployment_status"`
	Deployment apiDeployment       `json:"deployment"`
}

// deployments reads deployments, newest first, until one was created
// before since, and maps each final status (success, failure, error) as
// the deployment_status webhook does.
func (im *Importer) deployments(repo apiRepo, req poll.Request) poll.Fetch {
	return func(ctx context.Context, next string, since time.Time) (poll.Page, error) {
		if next == "" {
			next = "/repos/" + repo.FullName + "/deployments?per_page=" + im.perPage()
		}
		var ds []apiDeployment
		r, err := im.o.Client.GetJSON(ctx, next, nil, &ds)
		if err != nil {
			return poll.Page{}, err
		}
		page := poll.Page{Next: r.Next()}
		for _, d := range ds {
			if t, err := ingest.ParseTime(d.CreatedAt); err == nil && t.Before(since) {
				page.Next = ""
				break
			}
			page.Items++
			snext := fmt.Sprintf("/repos/%s/deployments/%d/statuses?per_page=100", repo.FullName, d.ID)
			for snext != "" {
				var ss []apiDeploymentStatus
				sr, err := im.o.Client.GetJSON(ctx, snext, nil, &ss)
				if err != nil {
					return poll.Page{}, err
				}
				for _, s := range ss {
					evs, err := im.parse("deployment_status", deploymentStatusPayload{Repo: repository{FullName: repo.FullName}, Status: s, Deployment: d})
					n, err := poll.Skip(req.Logger, fmt.Sprintf("deployment %d status %d", d.ID, s.ID), err)
					if err != nil {
						return poll.Page{}, err
					}
					page.Skipped += n
					page.Events = append(page.Events, evs...)
				}
				snext = sr.Next()
			}
		}
		return page, nil
	}
}

type apiRun struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Path       string `json:"path"`
	RunNumber  int64  `json:"run_number"`
	RunAttempt int64  `json:"run_attempt"`
	Status     string `json:"status"`
	Conclusion string `json:"conclusion"`
	Event      string `json:"event"`
	HeadBranch string `json:"head_branch"`
	HeadSHA    string `json:"head_sha"`
	CreatedAt  string `json:"created_at"`
	UpdatedAt  string `json:"updated_at"`
}

type workflowRunPayload struct {
	Action string     `json:"action"`
	Repo   repository `json:"repository"`
	Run    apiRun     `json:"workflow_run"`
}

// workflowRuns reads runs, newest first, until one was created before
// since. No filter parameter is used: GitHub caps filtered run listings
// at 1,000 results. Only the latest attempt of a run is listed.
func (im *Importer) workflowRuns(repo apiRepo, req poll.Request) poll.Fetch {
	return func(ctx context.Context, next string, since time.Time) (poll.Page, error) {
		if next == "" {
			next = "/repos/" + repo.FullName + "/actions/runs?per_page=" + im.perPage()
		}
		var body struct {
			Runs []apiRun `json:"workflow_runs"`
		}
		r, err := im.o.Client.GetJSON(ctx, next, nil, &body)
		if err != nil {
			return poll.Page{}, err
		}
		page := poll.Page{Next: r.Next()}
		for _, run := range body.Runs {
			if t, err := ingest.ParseTime(run.CreatedAt); err == nil && t.Before(since) {
				page.Next = ""
				break
			}
			page.Items++
			if run.Status != "completed" {
				continue
			}
			evs, err := im.parse("workflow_run", workflowRunPayload{Action: "completed", Repo: repository{FullName: repo.FullName}, Run: run})
			n, err := poll.Skip(req.Logger, fmt.Sprintf("workflow run %d", run.ID), err)
			if err != nil {
				return poll.Page{}, err
			}
			page.Skipped += n
			page.Events = append(page.Events, evs...)
		}
		return page, nil
	}
}
