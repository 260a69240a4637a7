package bitbucket

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

type account struct {
	DisplayName string `json:"display_name"`
	Nickname    string `json:"nickname"`
}

func (a account) name() string {
	if a.Nickname != "" {
		return a.Nickname
	}
	return a.DisplayName
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

func requireRepo(event string, r repository) error {
	if r.FullName == "" {
		return fmt.Errorf("%w: %s: repository.full_name is missing", ingest.ErrPayload, event)
	}
	return nil
}

// push: one change.committed per commit of every change. Bitbucket lists
// at most 5 commits a change (truncated=true says there were more); the rest
// are not guessed. A commit pushed to two branches at once is one event.
func (w *Webhook) push(body []byte) ([]ingest.Event, error) {
	var p struct {
		Repo repository `json:"repository"`
		Push struct {
			Changes []struct {
				New *struct {
					Type   string `json:"type"`
					Name   string `json:"name"`
					Target struct {
						Hash string `json:"hash"`
					} `json:"target"`
				} `json:"new"`
				Old *struct {
					Target struct {
						Hash string `json:"hash"`
					} `json:"target"`
				} `json:"old"`
				Truncated bool `json:"truncated"`
				Commits   []struct {
					Hash    string `json:"hash"`
					Date    string `json:"date"`
					Message string `json:"message"`
					Author  struct {
						Raw  string   `json:"raw"`
						User *account `json:"user"`
					} `json:"author"`
				} `json:"commits"`
			} `json:"changes"`
		} `json:"push"`
	}
	if err := decode("repo:push", body, &p); err != nil {
		return nil, err
	}
	var events []ingest.Event
	seen := map[string]bool{}
	for i, ch := range p.Push.Changes {
		ref, head, before := "", "", ""
		if ch.New != nil {
			ref, head = ch.New.Name, ch.New.Target.Hash
		}
		if ch.Old != nil {
			before = ch.Old.Target.Hash
		}
		first := len(events)
		for j, c := range ch.Commits {
			if c.Hash == "" {
				return nil, fmt.Errorf("%w: repo:push: push.changes[%d].commits[%d].hash is missing", ingest.ErrPayload, i, j)
			}
			if seen[strings.ToLower(c.Hash)] {
				continue
			}
			seen[strings.ToLower(c.Hash)] = true
			if err := requireRepo("repo:push", p.Repo); err != nil {
				return nil, err
			}
			t, err := parseTime("repo:push", fmt.Sprintf("push.changes[%d].commits[%d].date", i, j), c.Date)
			if err != nil {
				return nil, err
			}
			// raw is "Name <email>"; the address is not kept.
			author, _, _ := strings.Cut(c.Author.Raw, " <")
			if c.Author.User != nil && c.Author.User.name() != "" {
				author = c.Author.User.name()
			}
			events = append(events, ingest.Event{
				ID:         "push:" + strings.ToLower(c.Hash),
				Type:       ingest.TypeChangeCommitted,
				Time:       t,
				Subject:    c.Hash,
				Repo:       p.Repo.FullName,
				Service:    w.service(p.Repo.FullName),
				Attributes: attrs("author", author, "message", ingest.FirstLine(c.Message), "ref", ref, "truncated", strconv.FormatBool(ch.Truncated)),
			})
		}
		ingest.MarkPushHead(events[first:], head, before)
	}
	if len(events) == 0 {
		return nil, fmt.Errorf("%w: repo:push has no commits", ingest.ErrIgnored)
	}
	return events, nil
}

type prSide struct {
	Branch struct {
		Name string `json:"name"`
	} `json:"branch"`
	Commit struct {
		Hash string `json:"hash"`
	} `json:"commit"`
}

// pullRequestFulfilled: a merged pull request. Bitbucket has no merge time
// field; the pull request's updated_on is set by the merge.
func (w *Webhook) pullRequestFulfilled(body []byte) ([]ingest.Event, error) {
	var p struct {
		Repo repository `json:"repository"`
		PR   struct {
			ID          int64   `json:"id"`
			Title       string  `json:"title"`
			State       string  `json:"state"`
			Author      account `json:"author"`
			ClosedBy    account `json:"closed_by"`
			Source      prSide  `json:"source"`
			Destination prSide  `json:"destination"`
			MergeCommit *struct {
				Hash string `json:"hash"`
			} `json:"merge_commit"`
			UpdatedOn string `json:"updated_on"`
		} `json:"pullrequest"`
	}
	if err := decode("pullrequest:fulfilled", body, &p); err != nil {
		return nil, err
	}
	if p.PR.State != "" && p.PR.State != "MERGED" {
		return nil, fmt.Errorf("%w: pull request state %s", ingest.ErrIgnored, p.PR.State)
	}
	if err := requireRepo("pullrequest:fulfilled", p.Repo); err != nil {
		return nil, err
	}
	merge := ""
	if p.PR.MergeCommit != nil {
		merge = p.PR.MergeCommit.Hash
	}
	cs := commits(merge, p.PR.Source.Commit.Hash)
	if len(cs) == 0 {
		return nil, fmt.Errorf("%w: pullrequest:fulfilled: neither pullrequest.merge_commit.hash nor pullrequest.source.commit.hash is set", ingest.ErrPayload)
	}
	t, err := parseTime("pullrequest:fulfilled", "pullrequest.updated_on", p.PR.UpdatedOn)
	if err != nil {
		return nil, err
	}
	subject := fmt.Sprintf("%s#%d", p.Repo.FullName, p.PR.ID)
	return []ingest.Event{{
		ID:      "pr:" + subject + ":merged",
		Type:    ingest.TypeChangeMerged,
		Time:    t,
		Subject: subject,
		Repo:    p.Repo.FullName,
		Service: w.service(p.Repo.FullName),
		Commits: cs,
		Attributes: attrs(
			"merge_commit", merge,
			"source_commit", p.PR.Source.Commit.Hash,
			"source_branch", p.PR.Source.Branch.Name,
			"destination_branch", p.PR.Destination.Branch.Name,
			"title", p.PR.Title,
			"author", p.PR.Author.name(),
			"merged_by", p.PR.ClosedBy.name(),
		),
	}}, nil
}

// commitStatus: a build status (from Bitbucket Pipelines or any outside
// tool) that finished. STOPPED says nothing about the change and
// INPROGRESS is not finished; both are ignored. A status is re-posted
// under the same key when the build reruns, so the update time is part of
// the event id.
func (w *Webhook) commitStatus(body []byte) ([]ingest.Event, error) {
	var p struct {
		Repo   repository `json:"repository"`
		Status struct {
			Key       string `json:"key"`
			Name      string `json:"name"`
			State     string `json:"state"`
			Type      string `json:"type"`
			URL       string `json:"url"`
			Refname   string `json:"refname"`
			UpdatedOn string `json:"updated_on"`
			Commit    struct {
				Hash string `json:"hash"`
			} `json:"commit"`
		} `json:"commit_status"`
	}
	if err := decode("repo:commit_status_updated", body, &p); err != nil {
		return nil, err
	}
	var outcome string
	switch p.Status.State {
	case "SUCCESSFUL":
		outcome = "success"
	case "FAILED":
		outcome = "failure"
	default:
		return nil, fmt.Errorf("%w: commit status state %s", ingest.ErrIgnored, p.Status.State)
	}
	if err := requireRepo("repo:commit_status_updated", p.Repo); err != nil {
		return nil, err
	}
	if p.Status.Key == "" || p.Status.Commit.Hash == "" {
		return nil, fmt.Errorf("%w: repo:commit_status_updated: commit_status.key and commit_status.commit.hash are required", ingest.ErrPayload)
	}
	t, err := parseTime("repo:commit_status_updated", "commit_status.updated_on", p.Status.UpdatedOn)
	if err != nil {
		return nil, err
	}
	// One status key (e.g. "deploy-production") is reported by every run,
	// so the subject names the run: key, commit and time, like the id.
	run := fmt.Sprintf("%s:%s:%d", p.Status.Key, strings.ToLower(p.Status.Commit.Hash), t.Unix())
	e := ingest.Event{
		ID:      fmt.Sprintf("commit_status:%s:%s:%d", strings.ToLower(p.Status.Commit.Hash), p.Status.Key, t.Unix()),
		Type:    ingest.TypeBuildFinished,
		Time:    t,
		Subject: run,
		Repo:    p.Repo.FullName,
		Service: w.service(p.Repo.FullName),
		Outcome: outcome,
		Commits: commits(p.Status.Commit.Hash),
		Attributes: attrs(
			"name", p.Status.Name,
			"state", p.Status.State,
			"ref", p.Status.Refname,
			"url", p.Status.URL,
		),
	}
	if ingest.MatchAny(w.deploy, p.Status.Name, p.Status.Key) {
		e.Type = ingest.TypeDeploymentFinished
		e.Environment = w.environment(w.opts.DeployEnvironment)
	}
	return []ingest.Event{e}, nil
}
