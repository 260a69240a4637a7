package azuredevops

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/ingest"
)

type repository struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Project struct {
		Name string `json:"name"`
	} `json:"project"`
}

// fullName is "project/repo", the key of RepoServices.
func (r repository) fullName() string {
	if r.Project.Name == "" {
		return r.Name
	}
	return r.Project.Name + "/" + r.Name
}

type identity struct {
	DisplayName string `json:"displayName"`
	UniqueName  string `json:"uniqueName"`
}

type commitRef struct {
	CommitID string `json:"commitId"`
}

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

func resource(env envelope, v any) error {
	if len(env.Resource) == 0 {
		return fmt.Errorf("%w: %s: resource is missing", ingest.ErrPayload, env.EventType)
	}
	return decode(env.EventType, env.Resource, v)
}

// push: one change.committed per commit. The time is the author date: when
// the change was written (a rebase rewrites the committer date).
func (w *Webhook) push(env envelope) ([]ingest.Event, error) {
	var r struct {
		Repo       repository `json:"repository"`
		PushID     int64      `json:"pushId"`
		RefUpdates []struct {
			Name        string `json:"name"`
			OldObjectID string `json:"oldObjectId"`
			NewObjectID string `json:"newObjectId"`
		} `json:"refUpdates"`
		Commits []struct {
			CommitID string `json:"commitId"`
			Comment  string `json:"comment"`
			Author   struct {
				Name string `json:"name"`
				Date string `json:"date"`
			} `json:"author"`
			Committer struct {
				Date string `json:"date"`
			} `json:"committer"`
		} `json:"commits"`
	}
	if err := resource(env, &r); err != nil {
		return nil, err
	}
	if len(r.Commits) == 0 {
		return nil, fmt.Errorf("%w: git.push has no commits", ingest.ErrIgnored)
	}
	if r.Repo.Name == "" {
		return nil, fmt.Errorf("%w: git.push: resource.repository.name is missing", ingest.ErrPayload)
	}
	ref, head, before := "", "", ""
	if len(r.RefUpdates) > 0 {
		ref, head, before = r.RefUpdates[0].Name, r.RefUpdates[0].NewObjectID, r.RefUpdates[0].OldObjectID
	}
	repo := r.Repo.fullName()
	events := make([]ingest.Event, 0, len(r.Commits))
	for i, c := range r.Commits {
		if c.CommitID == "" {
			return nil, fmt.Errorf("%w: git.push: resource.commits[%d].commitId is missing", ingest.ErrPayload, i)
		}
		field, ts := fmt.Sprintf("resource.commits[%d].author.date", i), c.Author.Date
		if ts == "" {
			field, ts = fmt.Sprintf("resource.commits[%d].committer.date", i), c.Committer.Date
		}
		t, err := parseTime("git.push", field, ts)
		if err != nil {
			return nil, err
		}
		events = append(events, ingest.Event{
			ID:         "push:" + strings.ToLower(c.CommitID),
			Type:       ingest.TypeChangeCommitted,
			Time:       t,
			Subject:    c.CommitID,
			Repo:       repo,
			Service:    w.service(repo),
			Attributes: attrs("author", c.Author.Name, "message", ingest.FirstLine(c.Comment), "ref", ref, "push_id", strconv.FormatInt(r.PushID, 10)),
		})
	}
	ingest.MarkPushHead(events, head, before)
	return events, nil
}

// pullRequest: a completed pull request whose merge succeeded.
// git.pullrequest.merged ("merge commit created") also fires for the test
// merges of an active pull request, so status must be completed; the
// completing git.pullrequest.updated gives the same event id.
func (w *Webhook) pullRequest(env envelope) ([]ingest.Event, error) {
	var r struct {
		Repo                  repository `json:"repository"`
		PullRequestID         int64      `json:"pullRequestId"`
		Status                string     `json:"status"`
		MergeStatus           string     `json:"mergeStatus"`
		Title                 string     `json:"title"`
		SourceRefName         string     `json:"sourceRefName"`
		TargetRefName         string     `json:"targetRefName"`
		ClosedDate            string     `json:"closedDate"`
		CreatedBy             identity   `json:"createdBy"`
		LastMergeCommit       commitRef  `json:"lastMergeCommit"`
		LastMergeSourceCommit commitRef  `json:"lastMergeSourceCommit"`
	}
	if err := resource(env, &r); err != nil {
		return nil, err
	}
	if r.Status != "completed" {
		return nil, fmt.Errorf("%w: %s with pull request status %s", ingest.ErrIgnored, env.EventType, r.Status)
	}
	if r.MergeStatus != "" && r.MergeStatus != "succeeded" {
		return nil, fmt.Errorf("%w: %s with merge status %s", ingest.ErrIgnored, env.EventType, r.MergeStatus)
	}
	if r.Repo.Name == "" {
		return nil, fmt.Errorf("%w: %s: resource.repository.name is missing", ingest.ErrPayload, env.EventType)
	}
	cs := commits(r.LastMergeCommit.CommitID, r.LastMergeSourceCommit.CommitID)
	if len(cs) == 0 {
		return nil, fmt.Errorf("%w: %s: resource.lastMergeCommit.commitId is missing", ingest.ErrPayload, env.EventType)
	}
	t, err := parseTime(env.EventType, "resource.closedDate", r.ClosedDate)
	if err != nil {
		return nil, err
	}
	repo := r.Repo.fullName()
	subject := fmt.Sprintf("%s#%d", repo, r.PullRequestID)
	return []ingest.Event{{
		ID:      "pr:" + subject + ":merged",
		Type:    ingest.TypeChangeMerged,
		Time:    t,
		Subject: subject,
		Repo:    repo,
		Service: w.service(repo),
		Commits: cs,
		Attributes: attrs(
			"merge_commit", r.LastMergeCommit.CommitID,
			"source_commit", r.LastMergeSourceCommit.CommitID,
			"source_ref", r.SourceRefName,
			"target_ref", r.TargetRefName,
			"title", r.Title,
			"author", r.CreatedBy.UniqueName,
		),
	}}, nil
}

// outcome maps a build or release result. partiallySucceeded means only
// steps marked continue-on-error failed, so the pipeline did its job;
// canceled and stopped say nothing about the change and are ignored.
func outcome(event, result string) (string, error) {
	switch strings.ToLower(result) {
	case "succeeded", "partiallysucceeded":
		return "success", nil
	case "failed", "rejected":
		return "failure", nil
	default:
		return "", fmt.Errorf("%w: %s result %q", ingest.ErrIgnored, event, result)
	}
}

// build: a completed build is a build, or a deployment when its pipeline
// matches DeployWorkflows. Retrying failed jobs keeps the build id and
// finishes it again, so the finish time is part of the event id.
func (w *Webhook) build(env envelope) ([]ingest.Event, error) {
	var r struct {
		ID               int64      `json:"id"`
		BuildNumber      string     `json:"buildNumber"`
		Status           string     `json:"status"`
		Result           string     `json:"result"`
		Reason           string     `json:"reason"`
		FinishTime       string     `json:"finishTime"`
		SourceBranch     string     `json:"sourceBranch"`
		SourceVersion    string     `json:"sourceVersion"`
		SourceGetVersion string     `json:"sourceGetVersion"`
		Repository       repository `json:"repository"`
		Project          struct {
			Name string `json:"name"`
		} `json:"project"`
		Definition struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"definition"`
	}
	if err := resource(env, &r); err != nil {
		return nil, err
	}
	// Current payloads: status "completed" and a result; old (XAML-era)
	// ones put the result in status.
	result := r.Result
	if result == "" {
		result = r.Status
	}
	out, err := outcome("build.complete", result)
	if err != nil {
		return nil, err
	}
	if r.ID == 0 {
		return nil, fmt.Errorf("%w: build.complete: resource.id is missing", ingest.ErrPayload)
	}
	if r.Definition.Name == "" {
		return nil, fmt.Errorf("%w: build.complete: resource.definition.name is missing", ingest.ErrPayload)
	}
	t, err := parseTime("build.complete", "resource.finishTime", r.FinishTime)
	if err != nil {
		return nil, err
	}
	sha, branch := r.SourceVersion, r.SourceBranch
	if sha == "" {
		// "LG:refs/heads/master:600c52d2..." in old payloads.
		if parts := strings.Split(r.SourceGetVersion, ":"); len(parts) == 3 && parts[0] == "LG" {
			branch, sha = parts[1], parts[2]
		}
	}
	e := ingest.Event{
		ID:      fmt.Sprintf("build:%d:%d", r.ID, t.Unix()),
		Type:    ingest.TypeBuildFinished,
		Time:    t,
		Subject: strconv.FormatInt(r.ID, 10),
		Outcome: out,
		Commits: commits(sha),
		Attributes: attrs(
			"pipeline", r.Definition.Name,
			"build_number", r.BuildNumber,
			"result", result,
			"reason", r.Reason,
			"branch", branch,
		),
	}
	if r.Repository.Name != "" {
		if r.Repository.Project.Name == "" {
			r.Repository.Project.Name = r.Project.Name
		}
		e.Repo = r.Repository.fullName()
		e.Service = w.service(e.Repo)
	} else {
		e.Service = w.pipelineService(r.Definition.Name)
	}
	if ingest.MatchAny(w.deploy, r.Definition.Name) {
		e.Type = ingest.TypeDeploymentFinished
		e.Environment = w.environment(w.opts.DeployEnvironment)
	}
	return []ingest.Event{e}, nil
}
