package github

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/poll"
)

// DefaultAPI is GitHub.com's REST API root. GitHub Enterprise Server's is
// https://<host>/api/v3.
const DefaultAPI = "https://api.github.com"

// The streams an Importer reads, in order.
const (
	StreamCommits      = "commits"
	StreamPulls        = "pulls"
	StreamDeployments  = "deployments"
	StreamWorkflowRuns = "workflow_runs"
)

// NewAPIClient returns a client for GitHub's REST API: o.BaseURL defaults
// to DefaultAPI, a token is sent as a bearer token, and GitHub's media
// type and API version headers are set.
func NewAPIClient(o poll.ClientOptions) (*poll.Client, error) {
	if o.BaseURL == "" {
		o.BaseURL = DefaultAPI
	}
	o.Source = Source
	if o.Auth.Kind == poll.AuthNone && o.Auth.Token != "" {
		o.Auth.Kind = poll.AuthBearer
	}
	h := o.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h.Set("Accept", "application/vnd.github+json")
	h.Set("X-GitHub-Api-Version", "2022-11-28")
	o.Header = h
	return poll.NewClient(o)
}

// ImportOptions configure an Importer. The embedded Options map events
// exactly as the webhook does: give both the same options.
type ImportOptions struct {
	// Client calls the API (NewAPIClient).
	Client *poll.Client `yaml:"-"`
	// Repo is owner/repo.
	Repo    string `yaml:"-"`
	Options `yaml:",inline"`
	// Streams to read (default all): commits, pulls, deployments,
	// workflow_runs.
	Streams []string `yaml:"streams"`
	// Branch whose commits are read (default the repository's default
	// branch; merged pull requests bring their own commits).
	Branch string `yaml:"branch"`
	// PerPage is the page size (default and maximum 100).
	PerPage int `yaml:"per_page"`
}

// Validate reports the first bad option, naming its YAML key.
func (o ImportOptions) Validate() error {
	if o.Client == nil {
		return errors.New("github import: Client is required")
	}
	if parts := strings.Split(o.Repo, "/"); len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return fmt.Errorf("repo: %q must be owner/repo", o.Repo)
	}
	if err := poll.ValidateStreams("streams", o.Streams, Streams()); err != nil {
		return err
	}
	if err := poll.ValidPerPage("per_page", o.PerPage, 100); err != nil {
		return err
	}
	return o.Options.Validate()
}

// Streams lists the stream names.
func Streams() []string {
	return []string{StreamCommits, StreamPulls, StreamDeployments, StreamWorkflowRuns}
}

// Importer reads a repository's history through the REST API: commits,
// merged pull requests with their commits, deployments with their
// statuses, and workflow runs. Every item is mapped by the webhook's own
// code from a payload built like the webhook's, so an imported fact has
// the event id its webhook delivery has, and importing both never counts
// anything twice.
type Importer struct {
	o ImportOptions
	w *Webhook
}

var _ poll.Importer = (*Importer)(nil)

// NewImporter validates o and returns an Importer.
func NewImporter(o ImportOptions) (*Importer, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if len(o.Streams) == 0 {
		o.Streams = Streams()
	}
	if o.PerPage == 0 {
		o.PerPage = 100
	}
	w, err := New(o.Options)
	if err != nil {
		return nil, err
	}
	return &Importer{o: o, w: w}, nil
}

// DefaultOverlap is a day: commits are dated when written, not when
// pushed, and a deployment's statuses arrive after it was created.
func (im *Importer) DefaultOverlap() time.Duration { return 24 * time.Hour }

// Import reads every configured stream.
func (im *Importer) Import(ctx context.Context, req poll.Request, sink poll.Sink, cp *poll.Checkpoint) error {
	req = req.WithDefaults()
	repo, err := im.repository(ctx)
	if err != nil {
		return err
	}
	err = poll.RunStreams(ctx, req, cp, sink, im.o.Streams, map[string]poll.Fetch{
		StreamCommits:      im.commits(repo, req),
		StreamPulls:        im.pulls(repo, req),
		StreamDeployments:  im.deployments(repo, req),
		StreamWorkflowRuns: im.workflowRuns(repo, req),
	})
	if err != nil {
		return fmt.Errorf("github %s: %w", repo.FullName, err)
	}
	return nil
}

type apiRepo struct {
	FullName      string `json:"full_name"`
	DefaultBranch string `json:"default_branch"`
}

// repository reads the repository's canonical name (the webhook's
// payloads carry it, so ids and services match whatever case the
// configuration used) and default branch.
func (im *Importer) repository(ctx context.Context) (apiRepo, error) {
	var r apiRepo
	if _, err := im.o.Client.GetJSON(ctx, "/repos/"+im.o.Repo, nil, &r); err != nil {
		return r, fmt.Errorf("github %s: %w", im.o.Repo, err)
	}
	if r.FullName == "" {
		r.FullName = im.o.Repo
	}
	return r, nil
}

func (im *Importer) perPage() string { return strconv.Itoa(im.o.PerPage) }

// parse runs the webhook's mapping on a payload built for the event name.
func (im *Importer) parse(event string, payload any) ([]ingest.Event, error) {
	return poll.ParsePayload(im.w, http.Header{"X-Github-Event": {event}}, payload)
}

type apiCommit struct {
	SHA    string `json:"sha"`
	Commit struct {
		Message string `json:"message"`
		Author  struct {
			Name string `json:"name"`
			Date string `json:"date"`
		} `json:"author"`
		Committer struct {
			Date string `json:"date"`
		} `json:"committer"`
	} `json:"commit"`
	Author *user `json:"author"`
}

// pushPayload is the part of a push delivery the webhook reads.
type pushPayload struct {
	Ref     string       `json:"ref,omitempty"`
	Repo    repository   `json:"repository"`
	Commits []pushCommit `json:"commits"`
}

type pushCommit struct {
	ID        string `json:"id"`
	Message   string `json:"message"`
	Timestamp string `json:"timestamp"`
	Author    struct {
		Name     string `json:"name"`
		Username string `json:"username,omitempty"`
	} `json:"author"`
}

// commitEvents maps commits as one push of them, one at a time so a bad
// item skips alone. The time is the author date, as in push deliveries.
func (im *Importer) commitEvents(log *slog.Logger, repo, ref string, cs []apiCommit, change string) ([]ingest.Event, int, error) {
	var out []ingest.Event
	skipped := 0
	for _, c := range cs {
		pc := pushCommit{ID: c.SHA, Message: c.Commit.Message, Timestamp: c.Commit.Author.Date}
		if pc.Timestamp == "" {
			pc.Timestamp = c.Commit.Committer.Date
		}
		pc.Author.Name = c.Commit.Author.Name
		if c.Author != nil {
			pc.Author.Username = c.Author.Login
		}
		evs, err := im.parse("push", pushPayload{Ref: ref, Repo: repository{FullName: repo}, Commits: []pushCommit{pc}})
		n, err := poll.Skip(log, "commit "+c.SHA, err)
		if err != nil {
			return nil, skipped, err
		}
		skipped += n
		for i := range evs {
			if change != "" {
				evs[i].Links = map[string]string{"change": change}
			}
		}
		out = append(out, evs...)
	}
	return out, skipped, nil
}

func (im *Importer) commits(repo apiRepo, req poll.Request) poll.Fetch {
	branch := im.o.Branch
	if branch == "" {
		branch = repo.DefaultBranch
	}
	return func(ctx context.Context, next string, since time.Time) (poll.Page, error) {
		if next == "" {
			q := url.Values{"per_page": {im.perPage()}, "since": {since.UTC().Format(time.RFC3339)}}
			if branch != "" {
				q.Set("sha", branch)
			}
			next = "/repos/" + repo.FullName + "/commits?" + q.Encode()
		}
		var cs []apiCommit
		r, err := im.o.Client.GetJSON(ctx, next, nil, &cs)
		var se *poll.StatusError
		if errors.As(err, &se) && se.Status == http.StatusConflict {
			return poll.Page{}, nil // an empty repository
		}
		if err != nil {
			return poll.Page{}, err
		}
		ref := ""
		if branch != "" {
			ref = "refs/heads/" + branch
		}
		evs, skipped, err := im.commitEvents(req.Logger, repo.FullName, ref, cs, "")
		if err != nil {
			return poll.Page{}, err
		}
		return poll.Page{Events: evs, Items: len(cs), Skipped: skipped, Next: r.Next(), Total: lastPageTotal(r, im.o.PerPage)}, nil
	}
}

// lastPageTotal estimates the item count from the rel="last" link's page
// number (an upper bound: the last page may be short).
func lastPageTotal(r *poll.Response, perPage int) int64 {
	last := poll.LinkRel(r.Header.Get("Link"), "last")
	if last == "" {
		return 0
	}
	u, err := url.Parse(last)
	if err != nil {
		return 0
	}
	n, err := strconv.ParseInt(u.Query().Get("page"), 10, 64)
	if err != nil || n <= 0 {
		return 0
	}
	return n * int64(perPage)
}

type apiPull struct {
	Number         int64   `json:"number"`
	Title          string  `json:"title"`
	MergedAt       *string `json:"merged_at"`
	UpdatedAt      string  `json:"updated_at"`
	MergeCommitSHA string  `json:"merge_commit_sha"`
	User           user    `json:"user"`
	Head           struct {
		Ref string `json:"ref"`
		SHA string `json:"sha"`
	} `json:"head"`
	Base struct {
		Ref string `json:"ref"`
	} `json:"base"`
}

// pullPayload is the part of a pull_request delivery the webhook reads.
type pullPayload struct {
	Action string     `json:"action"`
	Repo   repository `json:"repository"`
	PR     struct {
		apiPull
		Merged bool `json:"merged"`
	} `json:"pull_request"`
}

// maxPullCommits is what GitHub lists of a pull request's commits.
const maxPullCommits = 250

// pulls reads closed pull requests, most recently updated first, until
// one was last updated before since; each merged one yields its
// change.merged and a change.committed per commit (linked to it), which
// is what keeps lead time right after a squash or rebase merge.
func (im *Importer) pulls(repo apiRepo, req poll.Request) poll.Fetch {
	return func(ctx context.Context, next string, since time.Time) (poll.Page, error) {
		if next == "" {
			q := url.Values{"state": {"closed"}, "sort": {"updated"}, "direction": {"desc"}, "per_page": {im.perPage()}}
			next = "/repos/" + repo.FullName + "/pulls?" + q.Encode()
		}
		var prs []apiPull
		r, err := im.o.Client.GetJSON(ctx, next, nil, &prs)
		if err != nil {
			return poll.Page{}, err
		}
		page := poll.Page{Next: r.Next()}
		for _, pr := range prs {
			if t, err := ingest.ParseTime(pr.UpdatedAt); err == nil && t.Before(since) {
				page.Next = ""
				break
			}
			page.Items++
			if pr.MergedAt == nil || *pr.MergedAt == "" {
				continue
			}
			var p pullPayload
			p.Action, p.Repo, p.PR.apiPull, p.PR.Merged = "closed", repository{FullName: repo.FullName}, pr, true
			evs, err := im.parse("pull_request", p)
			n, err := poll.Skip(req.Logger, fmt.Sprintf("pull request #%d", pr.Number), err)
			if err != nil {
				return poll.Page{}, err
			}
			page.Skipped += n
			if n > 0 {
				continue
			}
			cs, err := im.pullCommits(ctx, repo.FullName, pr.Number)
			if err != nil {
				return poll.Page{}, err
			}
			// The webhook knows the merge and head SHAs only; the import
			// also lists the pull request's own commits, which a squash or
			// rebase merge leaves off the base branch: lead time then
			// starts at them (queries/sql/measures/lead_time.sql).
			for i := range evs {
				ids := evs[i].Commits
				for _, c := range cs {
					ids = append(ids, c.SHA)
				}
				evs[i].Commits = commits(ids...)
			}
			page.Events = append(page.Events, evs...)
			cevs, skipped, err := im.commitEvents(req.Logger, repo.FullName, "refs/heads/"+pr.Head.Ref, cs, fmt.Sprintf("%s#%d", repo.FullName, pr.Number))
			if err != nil {
				return poll.Page{}, err
			}
			page.Skipped += skipped
			page.Events = append(page.Events, cevs...)
		}
		return page, nil
	}
}

func (im *Importer) pullCommits(ctx context.Context, repo string, number int64) ([]apiCommit, error) {
	return poll.GetAll[apiCommit](ctx, im.o.Client, fmt.Sprintf("/repos/%s/pulls/%d/commits?per_page=100", repo, number), maxPullCommits)
}
