package github

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/ingest"
)

type repository struct {
	FullName string `json:"full_name"`
}

type user struct {
	Login string `json:"login"`
}

type label struct {
	Name string `json:"name"`
}

// parseTime reads one of GitHub's RFC 3339 times, naming the field.
func parseTime(event, field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, fmt.Errorf("%w: %s: %s is missing", ingest.ErrPayload, event, field)
	}
	t, err := ingest.ParseTime(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s: %s: %v", ingest.ErrPayload, event, field, err)
	}
	return t, nil
}

func requireRepo(event string, r repository) error {
	if r.FullName == "" {
		return fmt.Errorf("%w: %s: repository.full_name is missing", ingest.ErrPayload, event)
	}
	return nil
}

// push: one change.committed per commit. GitHub lists at most 20 commits a
// push; the rest are not in the payload and are not guessed.
func (w *Webhook) push(body []byte) ([]ingest.Event, error) {
	var p struct {
		Ref     string     `json:"ref"`
		Before  string     `json:"before"`
		After   string     `json:"after"`
		Deleted bool       `json:"deleted"`
		Repo    repository `json:"repository"`
		Commits []struct {
			ID        string `json:"id"`
			Message   string `json:"message"`
			Timestamp string `json:"timestamp"`
			Author    struct {
				Name     string `json:"name"`
				Username string `json:"username"`
			} `json:"author"`
		} `json:"commits"`
	}
	if err := decode("push", body, &p); err != nil {
		return nil, err
	}
	if len(p.Commits) == 0 {
		if p.Deleted {
			return nil, fmt.Errorf("%w: push deleting %s has no commits", ingest.ErrIgnored, p.Ref)
		}
		return nil, fmt.Errorf("%w: push to %s has no commits", ingest.ErrIgnored, p.Ref)
	}
	if err := requireRepo("push", p.Repo); err != nil {
		return nil, err
	}
	events := make([]ingest.Event, 0, len(p.Commits))
	var bad ingest.ItemErrors
	for i, c := range p.Commits {
		item := fmt.Sprintf("commits[%d]", i)
		if c.ID == "" {
			bad = append(bad, ingest.ItemError{Item: item, Err: fmt.Errorf("%w: push: commits[%d].id is missing", ingest.ErrPayload, i)})
			continue
		}
		t, err := parseTime("push", item+".timestamp", c.Timestamp)
		if err != nil {
			bad = append(bad, ingest.ItemError{Item: item, Err: err})
			continue
		}
		author := c.Author.Username
		if author == "" {
			author = c.Author.Name
		}
		events = append(events, ingest.Event{
			ID:         "push:" + strings.ToLower(c.ID),
			Type:       ingest.TypeChangeCommitted,
			Time:       t,
			Subject:    c.ID,
			Repo:       p.Repo.FullName,
			Service:    w.service(p.Repo.FullName),
			Attributes: attrs("author", author, "message", ingest.FirstLine(c.Message), "ref", p.Ref),
			Links:      w.workItemLink(c.Message),
		})
	}
	ingest.MarkPushHead(events, p.After, p.Before)
	return ingest.Partial(events, bad)
}

// pullRequest: only a merge (closed with merged=true) is an event.
func (w *Webhook) pullRequest(body []byte) ([]ingest.Event, error) {
	var p struct {
		Action string     `json:"action"`
		Repo   repository `json:"repository"`
		PR     struct {
			Number         int64  `json:"number"`
			Title          string `json:"title"`
			Merged         bool   `json:"merged"`
			MergedAt       string `json:"merged_at"`
			MergeCommitSHA string `json:"merge_commit_sha"`
			User           user   `json:"user"`
			Head           struct {
				Ref string `json:"ref"`
				SHA string `json:"sha"`
			} `json:"head"`
			Base struct {
				Ref string `json:"ref"`
			} `json:"base"`
		} `json:"pull_request"`
	}
	if err := decode("pull_request", body, &p); err != nil {
		return nil, err
	}
	if p.Action != "closed" {
		return nil, fmt.Errorf("%w: pull_request action %s", ingest.ErrIgnored, p.Action)
	}
	if !p.PR.Merged {
		return nil, fmt.Errorf("%w: pull_request closed without merging", ingest.ErrIgnored)
	}
	if err := requireRepo("pull_request", p.Repo); err != nil {
		return nil, err
	}
	t, err := parseTime("pull_request", "pull_request.merged_at", p.PR.MergedAt)
	if err != nil {
		return nil, err
	}
	subject := fmt.Sprintf("%s#%d", p.Repo.FullName, p.PR.Number)
	return []ingest.Event{{
		ID:      "pr:" + subject + ":merged",
		Type:    ingest.TypeChangeMerged,
		Time:    t,
		Subject: subject,
		Repo:    p.Repo.FullName,
		Service: w.service(p.Repo.FullName),
		Commits: commits(p.PR.MergeCommitSHA, p.PR.Head.SHA),
		Attributes: attrs(
			"merge_commit_sha", p.PR.MergeCommitSHA,
			"head_sha", p.PR.Head.SHA,
			"head_ref", p.PR.Head.Ref,
			"base_ref", p.PR.Base.Ref,
			"title", p.PR.Title,
			"author", p.PR.User.Login,
		),
	}}, nil
}

// deploymentStatus: success, failure and error end a deployment; pending,
// queued, in_progress and inactive do not.
func (w *Webhook) deploymentStatus(body []byte) ([]ingest.Event, error) {
	var p struct {
		Repo   repository `json:"repository"`
		Status struct {
			ID          int64  `json:"id"`
			State       string `json:"state"`
			Environment string `json:"environment"`
			CreatedAt   string `json:"created_at"`
		} `json:"deployment_status"`
		Deployment struct {
			ID          int64  `json:"id"`
			SHA         string `json:"sha"`
			Ref         string `json:"ref"`
			Task        string `json:"task"`
			Environment string `json:"environment"`
			Creator     user   `json:"creator"`
		} `json:"deployment"`
	}
	if err := decode("deployment_status", body, &p); err != nil {
		return nil, err
	}
	var outcome string
	switch p.Status.State {
	case "success":
		outcome = "success"
	case "failure", "error":
		outcome = "failure"
	default:
		return nil, fmt.Errorf("%w: deployment_status state %s", ingest.ErrIgnored, p.Status.State)
	}
	if err := requireRepo("deployment_status", p.Repo); err != nil {
		return nil, err
	}
	if p.Status.ID == 0 || p.Deployment.ID == 0 {
		return nil, fmt.Errorf("%w: deployment_status: deployment_status.id and deployment.id are required", ingest.ErrPayload)
	}
	t, err := parseTime("deployment_status", "deployment_status.created_at", p.Status.CreatedAt)
	if err != nil {
		return nil, err
	}
	env := p.Deployment.Environment
	if env == "" {
		env = p.Status.Environment
	}
	return []ingest.Event{{
		ID:          "deployment_status:" + strconv.FormatInt(p.Status.ID, 10),
		Type:        ingest.TypeDeploymentFinished,
		Time:        t,
		Subject:     strconv.FormatInt(p.Deployment.ID, 10),
		Repo:        p.Repo.FullName,
		Service:     w.service(p.Repo.FullName),
		Environment: w.environment(env),
		Outcome:     outcome,
		Commits:     commits(p.Deployment.SHA),
		Attributes:  attrs("state", p.Status.State, "ref", p.Deployment.Ref, "task", p.Deployment.Task, "creator", p.Deployment.Creator.Login),
	}}, nil
}

// runOutcome maps a check or workflow conclusion. cancelled, skipped,
// neutral, stale and action_required say nothing about whether the change
// works, so they are ignored rather than counted as failures.
func runOutcome(event, conclusion string) (string, error) {
	switch conclusion {
	case "success":
		return "success", nil
	case "failure", "timed_out", "startup_failure":
		return "failure", nil
	default:
		return "", fmt.Errorf("%w: %s conclusion %q", ingest.ErrIgnored, event, conclusion)
	}
}

// workflowRun: a completed run is a build, or a deployment when its
// workflow matches DeployWorkflows. Re-runs keep the run id and bump
// run_attempt, so the attempt is part of the event id.
func (w *Webhook) workflowRun(body []byte) ([]ingest.Event, error) {
	var p struct {
		Action   string     `json:"action"`
		Repo     repository `json:"repository"`
		Workflow struct {
			Name string `json:"name"`
			Path string `json:"path"`
		} `json:"workflow"`
		Run struct {
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
			UpdatedAt  string `json:"updated_at"`
		} `json:"workflow_run"`
	}
	if err := decode("workflow_run", body, &p); err != nil {
		return nil, err
	}
	if p.Action != "completed" {
		return nil, fmt.Errorf("%w: workflow_run action %s", ingest.ErrIgnored, p.Action)
	}
	outcome, err := runOutcome("workflow_run", p.Run.Conclusion)
	if err != nil {
		return nil, err
	}
	if err := requireRepo("workflow_run", p.Repo); err != nil {
		return nil, err
	}
	if p.Run.ID == 0 {
		return nil, fmt.Errorf("%w: workflow_run: workflow_run.id is missing", ingest.ErrPayload)
	}
	t, err := parseTime("workflow_run", "workflow_run.updated_at", p.Run.UpdatedAt)
	if err != nil {
		return nil, err
	}
	name := p.Run.Name
	if name == "" {
		name = p.Workflow.Name
	}
	path := p.Run.Path
	if path == "" {
		path = p.Workflow.Path
	}
	attempt := max(p.Run.RunAttempt, 1)
	e := ingest.Event{
		ID:      fmt.Sprintf("workflow_run:%d:%d", p.Run.ID, attempt),
		Type:    ingest.TypeBuildFinished,
		Time:    t,
		Subject: strconv.FormatInt(p.Run.ID, 10),
		Repo:    p.Repo.FullName,
		Service: w.service(p.Repo.FullName),
		Outcome: outcome,
		Commits: commits(p.Run.HeadSHA),
		Attributes: attrs(
			"workflow", name,
			"workflow_path", path,
			"run_number", strconv.FormatInt(p.Run.RunNumber, 10),
			"run_attempt", strconv.FormatInt(attempt, 10),
			"conclusion", p.Run.Conclusion,
			"trigger", p.Run.Event,
			"head_branch", p.Run.HeadBranch,
		),
	}
	if ingest.MatchAny(w.deploy, name, path) {
		e.Type = ingest.TypeDeploymentFinished
		e.Environment = w.environment(w.opts.DeployEnvironment)
	}
	return []ingest.Event{e}, nil
}

// checkRun: a completed check run is a build. GitHub Actions creates a check
// run per job and also sends workflow_run for the whole run; its check runs
// are ignored so one run is not counted as many builds.
func (w *Webhook) checkRun(body []byte) ([]ingest.Event, error) {
	var p struct {
		Action string     `json:"action"`
		Repo   repository `json:"repository"`
		Check  struct {
			ID          int64  `json:"id"`
			Name        string `json:"name"`
			HeadSHA     string `json:"head_sha"`
			Status      string `json:"status"`
			Conclusion  string `json:"conclusion"`
			CompletedAt string `json:"completed_at"`
			App         struct {
				ID   int64  `json:"id"`
				Slug string `json:"slug"`
				Name string `json:"name"`
			} `json:"app"`
			Suite struct {
				HeadBranch string `json:"head_branch"`
			} `json:"check_suite"`
		} `json:"check_run"`
	}
	if err := decode("check_run", body, &p); err != nil {
		return nil, err
	}
	if p.Action != "completed" {
		return nil, fmt.Errorf("%w: check_run action %s", ingest.ErrIgnored, p.Action)
	}
	if p.Check.App.Slug == "github-actions" {
		return nil, fmt.Errorf("%w: check_run from GitHub Actions (reported by workflow_run)", ingest.ErrIgnored)
	}
	outcome, err := runOutcome("check_run", p.Check.Conclusion)
	if err != nil {
		return nil, err
	}
	if err := requireRepo("check_run", p.Repo); err != nil {
		return nil, err
	}
	if p.Check.ID == 0 {
		return nil, fmt.Errorf("%w: check_run: check_run.id is missing", ingest.ErrPayload)
	}
	t, err := parseTime("check_run", "check_run.completed_at", p.Check.CompletedAt)
	if err != nil {
		return nil, err
	}
	app := p.Check.App.Slug
	if app == "" {
		app = p.Check.App.Name
	}
	return []ingest.Event{{
		ID:         "check_run:" + strconv.FormatInt(p.Check.ID, 10),
		Type:       ingest.TypeBuildFinished,
		Time:       t,
		Subject:    strconv.FormatInt(p.Check.ID, 10),
		Repo:       p.Repo.FullName,
		Service:    w.service(p.Repo.FullName),
		Outcome:    outcome,
		Commits:    commits(p.Check.HeadSHA),
		Attributes: attrs("check", p.Check.Name, "app", app, "conclusion", p.Check.Conclusion, "head_branch", p.Check.Suite.HeadBranch),
	}}, nil
}

// workItemLink links a commit to the work item its message names.
func (w *Webhook) workItemLink(message string) map[string]string {
	if w.workItem == nil {
		return nil
	}
	if key := w.workItem.FindString(message); key != "" {
		return map[string]string{"work_item": key}
	}
	return nil
}
