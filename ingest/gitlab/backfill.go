package gitlab

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/poll"
)

// DefaultAPI is GitLab.com's REST API root; a self-managed instance's is
// https://<host>/api/v4.
const DefaultAPI = "https://gitlab.com/api/v4"

// The streams an Importer reads, in order.
const (
	StreamCommits       = "commits"
	StreamMergeRequests = "merge_requests"
	StreamDeployments   = "deployments"
	StreamPipelines     = "pipelines"
)

// Streams lists the stream names.
func Streams() []string {
	return []string{StreamCommits, StreamMergeRequests, StreamDeployments, StreamPipelines}
}

// NewAPIClient returns a client for GitLab's REST API: o.BaseURL defaults
// to DefaultAPI and a token goes in the PRIVATE-TOKEN header.
func NewAPIClient(o poll.ClientOptions) (*poll.Client, error) {
	if o.BaseURL == "" {
		o.BaseURL = DefaultAPI
	}
	o.Source = Source
	if o.Auth.Kind == poll.AuthNone && o.Auth.Token != "" {
		o.Auth.Kind, o.Auth.Header = poll.AuthHeader, "PRIVATE-TOKEN"
	}
	return poll.NewClient(o)
}

// ImportOptions configure an Importer. The embedded Options map events
// exactly as the webhook does: give both the same options.
type ImportOptions struct {
	// Client calls the API (NewAPIClient).
	Client *poll.Client `yaml:"-"`
	// Repo is the project path (group/subgroup/project).
	Repo    string `yaml:"-"`
	Options `yaml:",inline"`
	// Streams to read (default all): commits, merge_requests,
	// deployments, pipelines.
	Streams []string `yaml:"streams"`
	// Branch whose commits are read (default the project's default
	// branch; merged merge requests bring their own commits).
	Branch string `yaml:"branch"`
	// PerPage is the page size (default and maximum 100).
	PerPage int `yaml:"per_page"`
}

// Validate reports the first bad option, naming its YAML key.
func (o ImportOptions) Validate() error {
	if o.Client == nil {
		return errors.New("gitlab import: Client is required")
	}
	if strings.Count(o.Repo, "/") < 1 || strings.HasPrefix(o.Repo, "/") || strings.HasSuffix(o.Repo, "/") {
		return fmt.Errorf("repo: %q must be a project path like group/project", o.Repo)
	}
	if err := poll.ValidateStreams("streams", o.Streams, Streams()); err != nil {
		return err
	}
	if err := poll.ValidPerPage("per_page", o.PerPage, 100); err != nil {
		return err
	}
	return o.Options.Validate()
}

// Importer reads a project's history through the REST API: commits,
// merged merge requests with their commits, deployments and finished
// pipelines. Each item is mapped by the webhook's code from a payload
// built like the hook's, so an imported fact has the event id of its
// webhook delivery.
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

// DefaultOverlap is a day: commits are dated when written, not pushed.
func (im *Importer) DefaultOverlap() time.Duration { return 24 * time.Hour }

type apiProject struct {
	ID                int64  `json:"id"`
	PathWithNamespace string `json:"path_with_namespace"`
	DefaultBranch     string `json:"default_branch"`
	WebURL            string `json:"web_url"`
}

// Import reads every configured stream.
func (im *Importer) Import(ctx context.Context, req poll.Request, sink poll.Sink, cp *poll.Checkpoint) error {
	req = req.WithDefaults()
	var p apiProject
	if _, err := im.o.Client.GetJSON(ctx, "/projects/"+url.PathEscape(im.o.Repo), nil, &p); err != nil {
		return fmt.Errorf("gitlab %s: %w", im.o.Repo, err)
	}
	if p.PathWithNamespace == "" {
		p.PathWithNamespace = im.o.Repo
	}
	err := poll.RunStreams(ctx, req, cp, sink, im.o.Streams, map[string]poll.Fetch{
		StreamCommits:       im.commits(p, req),
		StreamMergeRequests: im.mergeRequests(p, req),
		StreamDeployments:   im.deployments(p, req),
		StreamPipelines:     im.pipelines(p, req),
	})
	if err != nil {
		return fmt.Errorf("gitlab %s: %w", p.PathWithNamespace, err)
	}
	return nil
}

func (im *Importer) projectPath(p apiProject) string {
	// The numeric id is stable across renames; the path is a fallback.
	if p.ID != 0 {
		return "/projects/" + strconv.FormatInt(p.ID, 10)
	}
	return "/projects/" + url.PathEscape(p.PathWithNamespace)
}

func (im *Importer) parse(payload any) ([]ingest.Event, error) {
	return poll.ParsePayload(im.w, nil, payload)
}

func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

type hookProject struct {
	PathWithNamespace string `json:"path_with_namespace"`
}

type apiCommit struct {
	ID            string `json:"id"`
	Title         string `json:"title"`
	Message       string `json:"message"`
	AuthorName    string `json:"author_name"`
	AuthoredDate  string `json:"authored_date"`
	CommittedDate string `json:"committed_date"`
}

type hookCommit struct {
	ID        string `json:"id"`
	Message   string `json:"message"`
	Title     string `json:"title"`
	Timestamp string `json:"timestamp"`
	Author    struct {
		Name string `json:"name"`
	} `json:"author"`
}

type pushHook struct {
	ObjectKind string       `json:"object_kind"`
	Ref        string       `json:"ref,omitempty"`
	Project    hookProject  `json:"project"`
	Commits    []hookCommit `json:"commits"`
}

// commitEvents maps commits one at a time (a bad one skips alone). The
// time is the committed date: a push hook's commit timestamp is the
// commit's committed date.
func (im *Importer) commitEvents(log *slog.Logger, path, ref string, cs []apiCommit, change string) ([]ingest.Event, int, error) {
	var out []ingest.Event
	skipped := 0
	for _, c := range cs {
		hc := hookCommit{ID: c.ID, Message: c.Message, Title: c.Title, Timestamp: c.CommittedDate}
		if hc.Timestamp == "" {
			hc.Timestamp = c.AuthoredDate
		}
		hc.Author.Name = c.AuthorName
		evs, err := im.parse(pushHook{ObjectKind: "push", Ref: ref, Project: hookProject{path}, Commits: []hookCommit{hc}})
		n, err := poll.Skip(log, "commit "+c.ID, err)
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

// totalOf reads GitLab's X-Total (absent past 10,000 items).
func totalOf(r *poll.Response) int64 {
	n, _ := strconv.ParseInt(r.Header.Get("X-Total"), 10, 64)
	return n
}

func (im *Importer) commits(p apiProject, req poll.Request) poll.Fetch {
	branch := im.o.Branch
	if branch == "" {
		branch = p.DefaultBranch
	}
	return func(ctx context.Context, next string, since time.Time) (poll.Page, error) {
		if next == "" {
			q := url.Values{"per_page": {strconv.Itoa(im.o.PerPage)}, "since": {isoTime(since)}}
			if branch != "" {
				q.Set("ref_name", branch)
			}
			next = im.projectPath(p) + "/repository/commits?" + q.Encode()
		}
		var cs []apiCommit
		r, err := im.o.Client.GetJSON(ctx, next, nil, &cs)
		if err != nil {
			return poll.Page{}, err
		}
		ref := ""
		if branch != "" {
			ref = "refs/heads/" + branch
		}
		evs, skipped, err := im.commitEvents(req.Logger, p.PathWithNamespace, ref, cs, "")
		if err != nil {
			return poll.Page{}, err
		}
		return poll.Page{Events: evs, Items: len(cs), Skipped: skipped, Next: r.Next(), Total: totalOf(r)}, nil
	}
}

type apiUser struct {
	Username string `json:"username"`
}

type apiMergeRequest struct {
	IID             int64    `json:"iid"`
	Title           string   `json:"title"`
	State           string   `json:"state"`
	SourceBranch    string   `json:"source_branch"`
	TargetBranch    string   `json:"target_branch"`
	SHA             string   `json:"sha"`
	MergeCommitSHA  string   `json:"merge_commit_sha"`
	SquashCommitSHA string   `json:"squash_commit_sha"`
	MergedAt        string   `json:"merged_at"`
	UpdatedAt       string   `json:"updated_at"`
	MergedBy        *apiUser `json:"merged_by"`
	MergeUser       *apiUser `json:"merge_user"`
}

type mergeHook struct {
	ObjectKind string      `json:"object_kind"`
	Project    hookProject `json:"project"`
	User       apiUser     `json:"user"`
	MR         struct {
		IID             int64  `json:"iid"`
		Title           string `json:"title"`
		Action          string `json:"action"`
		State           string `json:"state"`
		SourceBranch    string `json:"source_branch"`
		TargetBranch    string `json:"target_branch"`
		MergeCommitSHA  string `json:"merge_commit_sha,omitempty"`
		SquashCommitSHA string `json:"squash_commit_sha,omitempty"`
		MergedAt        string `json:"merged_at,omitempty"`
		UpdatedAt       string `json:"updated_at"`
		LastCommit      struct {
			ID string `json:"id"`
		} `json:"last_commit"`
	} `json:"object_attributes"`
}

// mergeRequests reads merged merge requests updated since the pass's
// since; each yields its change.merged, listing its own commits too (a
// squash merge leaves them off the target branch, and lead time starts
// at them), and a change.committed per commit.
func (im *Importer) mergeRequests(p apiProject, req poll.Request) poll.Fetch {
	return func(ctx context.Context, next string, since time.Time) (poll.Page, error) {
		if next == "" {
			q := url.Values{"state": {"merged"}, "updated_after": {isoTime(since)}, "order_by": {"updated_at"},
				"sort": {"desc"}, "per_page": {strconv.Itoa(im.o.PerPage)}}
			next = im.projectPath(p) + "/merge_requests?" + q.Encode()
		}
		var mrs []apiMergeRequest
		r, err := im.o.Client.GetJSON(ctx, next, nil, &mrs)
		if err != nil {
			return poll.Page{}, err
		}
		page := poll.Page{Next: r.Next(), Items: len(mrs), Total: totalOf(r)}
		for _, mr := range mrs {
			var h mergeHook
			h.ObjectKind, h.Project = "merge_request", hookProject{p.PathWithNamespace}
			if mr.MergeUser != nil {
				h.User = *mr.MergeUser
			} else if mr.MergedBy != nil {
				h.User = *mr.MergedBy
			}
			a := &h.MR
			a.IID, a.Title, a.Action, a.State = mr.IID, mr.Title, "merge", mr.State
			a.SourceBranch, a.TargetBranch = mr.SourceBranch, mr.TargetBranch
			a.MergeCommitSHA, a.SquashCommitSHA, a.MergedAt, a.UpdatedAt = mr.MergeCommitSHA, mr.SquashCommitSHA, mr.MergedAt, mr.UpdatedAt
			a.LastCommit.ID = mr.SHA
			evs, err := im.parse(h)
			n, err := poll.Skip(req.Logger, fmt.Sprintf("merge request !%d", mr.IID), err)
			if err != nil {
				return poll.Page{}, err
			}
			page.Skipped += n
			if n > 0 {
				continue
			}
			cs, err := im.mrCommits(ctx, p, mr.IID)
			if err != nil {
				return poll.Page{}, err
			}
			for i := range evs {
				ids := evs[i].Commits
				for _, c := range cs {
					ids = append(ids, c.ID)
				}
				evs[i].Commits = commits(ids...)
			}
			page.Events = append(page.Events, evs...)
			cevs, skipped, err := im.commitEvents(req.Logger, p.PathWithNamespace, "refs/heads/"+mr.SourceBranch, cs,
				fmt.Sprintf("%s!%d", p.PathWithNamespace, mr.IID))
			if err != nil {
				return poll.Page{}, err
			}
			page.Skipped += skipped
			page.Events = append(page.Events, cevs...)
		}
		return page, nil
	}
}

// maxMRCommits bounds the commits read per merge request.
const maxMRCommits = 1000

func (im *Importer) mrCommits(ctx context.Context, p apiProject, iid int64) ([]apiCommit, error) {
	return poll.GetAll[apiCommit](ctx, im.o.Client, fmt.Sprintf("%s/merge_requests/%d/commits?per_page=100", im.projectPath(p), iid), maxMRCommits)
}
