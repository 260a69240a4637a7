package gitlab

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/throughline/throughline/ingest"
)

type project struct {
	PathWithNamespace string `json:"path_with_namespace"`
}

func requireProject(event, path string) error {
	if path == "" {
		return fmt.Errorf("%w: %s: project.path_with_namespace is missing", ingest.ErrPayload, event)
	}
	return nil
}

// push: one change.committed per commit. GitLab lists at most 20 commits a
// push (total_commits_count says how many there were); the rest are not
// guessed.
func (w *Webhook) push(body []byte) ([]ingest.Event, error) {
	var p struct {
		Ref     string  `json:"ref"`
		Before  string  `json:"before"`
		After   string  `json:"after"`
		Project project `json:"project"`
		Total   int64   `json:"total_commits_count"`
		Commits []struct {
			ID        string `json:"id"`
			Message   string `json:"message"`
			Title     string `json:"title"`
			Timestamp string `json:"timestamp"`
			Author    struct {
				Name string `json:"name"`
			} `json:"author"`
		} `json:"commits"`
	}
	if err := decode("push", body, &p); err != nil {
		return nil, err
	}
	if len(p.Commits) == 0 {
		return nil, fmt.Errorf("%w: push to %s has no commits", ingest.ErrIgnored, p.Ref)
	}
	repo := p.Project.PathWithNamespace
	if err := requireProject("push", repo); err != nil {
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
		msg := c.Title
		if msg == "" {
			msg = ingest.FirstLine(c.Message)
		}
		events = append(events, ingest.Event{
			ID:         "push:" + strings.ToLower(c.ID),
			Type:       ingest.TypeChangeCommitted,
			Time:       t,
			Subject:    c.ID,
			Repo:       repo,
			Service:    w.service(repo),
			Attributes: attrs("author", c.Author.Name, "message", msg, "ref", p.Ref),
		})
	}
	ingest.MarkPushHead(events, p.After, p.Before)
	return ingest.Partial(events, bad)
}

// mergeRequest: only action "merge" is an event. GitLab's hook has no
// merged_at in most versions; updated_at is set by the merge itself.
func (w *Webhook) mergeRequest(body []byte) ([]ingest.Event, error) {
	var p struct {
		Project project `json:"project"`
		User    struct {
			Username string `json:"username"`
		} `json:"user"`
		MR struct {
			IID             int64  `json:"iid"`
			Title           string `json:"title"`
			Action          string `json:"action"`
			State           string `json:"state"`
			SourceBranch    string `json:"source_branch"`
			TargetBranch    string `json:"target_branch"`
			MergeCommitSHA  string `json:"merge_commit_sha"`
			SquashCommitSHA string `json:"squash_commit_sha"`
			MergedAt        string `json:"merged_at"`
			UpdatedAt       string `json:"updated_at"`
			LastCommit      struct {
				ID string `json:"id"`
			} `json:"last_commit"`
		} `json:"object_attributes"`
	}
	if err := decode("merge_request", body, &p); err != nil {
		return nil, err
	}
	if p.MR.Action != "merge" {
		return nil, fmt.Errorf("%w: merge_request action %s", ingest.ErrIgnored, p.MR.Action)
	}
	repo := p.Project.PathWithNamespace
	if err := requireProject("merge_request", repo); err != nil {
		return nil, err
	}
	field, ts := "object_attributes.merged_at", p.MR.MergedAt
	if ts == "" {
		field, ts = "object_attributes.updated_at", p.MR.UpdatedAt
	}
	t, err := parseTime("merge_request", field, ts)
	if err != nil {
		return nil, err
	}
	subject := fmt.Sprintf("%s!%d", repo, p.MR.IID)
	return []ingest.Event{{
		ID:      "mr:" + subject + ":merged",
		Type:    ingest.TypeChangeMerged,
		Time:    t,
		Subject: subject,
		Repo:    repo,
		Service: w.service(repo),
		Commits: commits(p.MR.MergeCommitSHA, p.MR.SquashCommitSHA, p.MR.LastCommit.ID),
		Attributes: attrs(
			"merge_commit_sha", p.MR.MergeCommitSHA,
			"squash_commit_sha", p.MR.SquashCommitSHA,
			"last_commit", p.MR.LastCommit.ID,
			"source_branch", p.MR.SourceBranch,
			"target_branch", p.MR.TargetBranch,
			"title", p.MR.Title,
			"merged_by", p.User.Username,
		),
	}}, nil
}

// outcome maps a pipeline or job status. canceled, skipped and manual say
// nothing about the change; running, pending and created are not finished.
func outcome(event, status string) (string, error) {
	switch status {
	case "success":
		return "success", nil
	case "failed":
		return "failure", nil
	default:
		return "", fmt.Errorf("%w: %s status %q", ingest.ErrIgnored, event, status)
	}
}

// pipeline: a finished pipeline is a build, or a deployment when its name
// or ref matches DeployWorkflows. A retried pipeline keeps its id and
// finishes again, so the finish time is part of the event id.
func (w *Webhook) pipeline(body []byte) ([]ingest.Event, error) {
	var p struct {
		Project  project `json:"project"`
		Pipeline struct {
			ID         int64  `json:"id"`
			IID        int64  `json:"iid"`
			Name       string `json:"name"`
			Ref        string `json:"ref"`
			Tag        bool   `json:"tag"`
			SHA        string `json:"sha"`
			Source     string `json:"source"`
			Status     string `json:"status"`
			FinishedAt string `json:"finished_at"`
		} `json:"object_attributes"`
	}
	if err := decode("pipeline", body, &p); err != nil {
		return nil, err
	}
	out, err := outcome("pipeline", p.Pipeline.Status)
	if err != nil {
		return nil, err
	}
	repo := p.Project.PathWithNamespace
	if err := requireProject("pipeline", repo); err != nil {
		return nil, err
	}
	if p.Pipeline.ID == 0 {
		return nil, fmt.Errorf("%w: pipeline: object_attributes.id is missing", ingest.ErrPayload)
	}
	t, err := parseTime("pipeline", "object_attributes.finished_at", p.Pipeline.FinishedAt)
	if err != nil {
		return nil, err
	}
	e := ingest.Event{
		ID:      fmt.Sprintf("pipeline:%d:%d", p.Pipeline.ID, t.Unix()),
		Type:    ingest.TypeBuildFinished,
		Time:    t,
		Subject: strconv.FormatInt(p.Pipeline.ID, 10),
		Repo:    repo,
		Service: w.service(repo),
		Outcome: out,
		Commits: commits(p.Pipeline.SHA),
		Attributes: attrs(
			"pipeline", p.Pipeline.Name,
			"iid", strconv.FormatInt(p.Pipeline.IID, 10),
			"ref", p.Pipeline.Ref,
			"trigger", p.Pipeline.Source,
			"status", p.Pipeline.Status,
		),
	}
	if ingest.MatchAny(w.deploy, p.Pipeline.Name, p.Pipeline.Ref) {
		e.Type = ingest.TypeDeploymentFinished
		e.Environment = w.environment(w.opts.DeployEnvironment)
	}
	return []ingest.Event{e}, nil
}

// job: a finished job (object_kind "build") is a build. Job payloads carry
// no project path in older GitLab versions; it is read from the
// repository's homepage then.
func (w *Webhook) job(body []byte) ([]ingest.Event, error) {
	var p struct {
		Project      project `json:"project"`
		Ref          string  `json:"ref"`
		SHA          string  `json:"sha"`
		BuildID      int64   `json:"build_id"`
		BuildName    string  `json:"build_name"`
		BuildStage   string  `json:"build_stage"`
		BuildStatus  string  `json:"build_status"`
		FinishedAt   string  `json:"build_finished_at"`
		AllowFailure bool    `json:"build_allow_failure"`
		PipelineID   int64   `json:"pipeline_id"`
		Repository   struct {
			Homepage string `json:"homepage"`
		} `json:"repository"`
	}
	if err := decode("build", body, &p); err != nil {
		return nil, err
	}
	out, err := outcome("job", p.BuildStatus)
	if err != nil {
		return nil, err
	}
	repo := p.Project.PathWithNamespace
	if repo == "" {
		if u, err := url.Parse(p.Repository.Homepage); err == nil {
			repo = strings.Trim(u.Path, "/")
		}
	}
	if repo == "" {
		return nil, fmt.Errorf("%w: build: neither project.path_with_namespace nor repository.homepage names the project", ingest.ErrPayload)
	}
	if p.BuildID == 0 {
		return nil, fmt.Errorf("%w: build: build_id is missing", ingest.ErrPayload)
	}
	t, err := parseTime("build", "build_finished_at", p.FinishedAt)
	if err != nil {
		return nil, err
	}
	return []ingest.Event{{
		ID:      "job:" + strconv.FormatInt(p.BuildID, 10),
		Type:    ingest.TypeBuildFinished,
		Time:    t,
		Subject: strconv.FormatInt(p.BuildID, 10),
		Repo:    repo,
		Service: w.service(repo),
		Outcome: out,
		Commits: commits(p.SHA),
		Attributes: attrs(
			"job", p.BuildName,
			"stage", p.BuildStage,
			"ref", p.Ref,
			"pipeline_id", strconv.FormatInt(p.PipelineID, 10),
			"allow_failure", strconv.FormatBool(p.AllowFailure),
		),
	}}, nil
}

// deployment: success and failed finish a deployment; running and
// canceled do not.
func (w *Webhook) deployment(body []byte) ([]ingest.Event, error) {
	var p struct {
		Project         project `json:"project"`
		Status          string  `json:"status"`
		StatusChangedAt string  `json:"status_changed_at"`
		DeploymentID    int64   `json:"deployment_id"`
		DeployableID    int64   `json:"deployable_id"`
		Environment     string  `json:"environment"`
		EnvironmentTier string  `json:"environment_tier"`
		ShortSHA        string  `json:"short_sha"`
		CommitURL       string  `json:"commit_url"`
		Ref             string  `json:"ref"`
		User            struct {
			Username string `json:"username"`
		} `json:"user"`
	}
	if err := decode("deployment", body, &p); err != nil {
		return nil, err
	}
	out, err := outcome("deployment", p.Status)
	if err != nil {
		return nil, err
	}
	repo := p.Project.PathWithNamespace
	if err := requireProject("deployment", repo); err != nil {
		return nil, err
	}
	if p.DeploymentID == 0 {
		return nil, fmt.Errorf("%w: deployment: deployment_id is missing", ingest.ErrPayload)
	}
	if p.Environment == "" {
		return nil, fmt.Errorf("%w: deployment: environment is missing", ingest.ErrPayload)
	}
	t, err := parseTime("deployment", "status_changed_at", p.StatusChangedAt)
	if err != nil {
		return nil, err
	}
	return []ingest.Event{{
		ID:          "deployment:" + strconv.FormatInt(p.DeploymentID, 10),
		Type:        ingest.TypeDeploymentFinished,
		Time:        t,
		Subject:     strconv.FormatInt(p.DeploymentID, 10),
		Repo:        repo,
		Service:     w.service(repo),
		Environment: w.environment(p.Environment),
		Outcome:     out,
		Commits:     commits(deployedSHA(p.CommitURL, p.ShortSHA)),
		Attributes: attrs(
			"status", p.Status,
			"ref", p.Ref,
			"environment_tier", p.EnvironmentTier,
			"job_id", strconv.FormatInt(p.DeployableID, 10),
			"user", p.User.Username,
		),
	}}, nil
}

// deployedSHA prefers the full SHA at the end of commit_url
// (".../-/commit/<sha>") over the 8-character short_sha.
func deployedSHA(commitURL, short string) string {
	if i := strings.LastIndex(commitURL, "/commit/"); i >= 0 {
		sha := commitURL[i+len("/commit/"):]
		if isHex(sha) && (short == "" || strings.HasPrefix(sha, short)) {
			return sha
		}
	}
	return short
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
