package azuredevops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/poll"
)

// DefaultAPI is Azure DevOps Services' root; the organization is the first
// path segment. Azure DevOps Server's is https://<host>/<collection>'s
// parent, with the collection in place of the organization.
const DefaultAPI = "https://dev.azure.com"

// apiVersion is the REST API version requested.
const apiVersion = "7.1"

// The streams an Importer reads, in order.
const (
	StreamCommits            = "commits"
	StreamPullRequests       = "pullrequests"
	StreamBuilds             = "builds"
	StreamReleaseDeployments = "release_deployments"
)

// Streams lists the stream names.
func Streams() []string {
	return []string{StreamCommits, StreamPullRequests, StreamBuilds, StreamReleaseDeployments}
}

// NewAPIClient returns a client for the Azure DevOps REST API: o.BaseURL
// defaults to DefaultAPI and a token is a personal access token sent as
// basic credentials with an empty user name.
func NewAPIClient(o poll.ClientOptions) (*poll.Client, error) {
	if o.BaseURL == "" {
		o.BaseURL = DefaultAPI
	}
	o.Source = Source
	if o.Auth.Kind == poll.AuthNone && o.Auth.Token != "" {
		o.Auth = poll.Auth{Kind: poll.AuthBasic, Username: o.Auth.Username, Password: o.Auth.Token, Name: o.Auth.Name}
	}
	return poll.NewClient(o)
}

// ReleaseBaseURL is the root of the Release API for an API root: classic
// release pipelines live on vsrm.dev.azure.com (or
// <org>.vsrm.visualstudio.com); Azure DevOps Server serves them on its own
// host.
func ReleaseBaseURL(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	switch {
	case strings.EqualFold(u.Host, "dev.azure.com"):
		u.Host = "vsrm.dev.azure.com"
	case strings.HasSuffix(strings.ToLower(u.Host), ".visualstudio.com") && !strings.Contains(strings.ToLower(u.Host), ".vsrm."):
		org, _, _ := strings.Cut(u.Host, ".")
		u.Host = org + ".vsrm.visualstudio.com"
	}
	return u.String()
}

// ImportOptions configure an Importer. The embedded Options map events
// exactly as the service hooks do: give both the same options.
type ImportOptions struct {
	// Client calls the API (NewAPIClient); ReleaseClient calls the
	// Release API (NewAPIClient with ReleaseBaseURL), needed for the
	// release_deployments stream.
	Client        *poll.Client `yaml:"-"`
	ReleaseClient *poll.Client `yaml:"-"`
	// Repo is organization/project/repository.
	Repo    string `yaml:"-"`
	Options `yaml:",inline"`
	// Streams to read (default all): commits, pullrequests, builds,
	// release_deployments.
	Streams []string `yaml:"streams"`
	// Branch whose commits are read (default the repository's default
	// branch).
	Branch string `yaml:"branch"`
	// ReleaseDefinitions limits release deployments to these release
	// pipelines (names); default every release pipeline of the project.
	ReleaseDefinitions []string `yaml:"release_definitions"`
	// Top is the page size (default 100).
	Top int `yaml:"top"`
}

// Validate reports the first bad option, naming its YAML key.
func (o ImportOptions) Validate() error {
	if o.Client == nil {
		return errors.New("azure devops import: Client is required")
	}
	if parts := strings.Split(o.Repo, "/"); len(parts) != 3 || slices.Contains(parts, "") {
		return fmt.Errorf("repo: %q must be organization/project/repository", o.Repo)
	}
	if err := poll.ValidateStreams("streams", o.Streams, Streams()); err != nil {
		return err
	}
	if err := poll.ValidPerPage("top", o.Top, 1000); err != nil {
		return err
	}
	return o.Options.Validate()
}

// Importer reads an Azure DevOps repository's history: commits, completed
// pull requests with their commits, completed builds of the repository,
// and the project's classic release deployments. Each item is mapped by
// the service hook's code from the resource a hook would carry, so event
// ids match its deliveries'.
type Importer struct {
	o                      ImportOptions
	w                      *Webhook
	org, project, repoName string
}

var _ poll.Importer = (*Importer)(nil)

// NewImporter validates o and returns an Importer.
func NewImporter(o ImportOptions) (*Importer, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if len(o.Streams) == 0 {
		o.Streams = Streams()
		if o.ReleaseClient == nil {
			o.Streams = o.Streams[:3]
		}
	}
	if slices.Contains(o.Streams, StreamReleaseDeployments) && o.ReleaseClient == nil {
		return nil, errors.New("streams: release_deployments needs ReleaseClient")
	}
	if o.Top == 0 {
		o.Top = 100
	}
	w, err := New(o.Options)
	if err != nil {
		return nil, err
	}
	parts := strings.Split(o.Repo, "/")
	return &Importer{o: o, w: w, org: parts[0], project: parts[1], repoName: parts[2]}, nil
}

// DefaultOverlap is a day: commits are dated when written, not pushed.
func (im *Importer) DefaultOverlap() time.Duration { return 24 * time.Hour }

type apiRepo struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	DefaultBranch string `json:"defaultBranch"`
	Project       struct {
		Name string `json:"name"`
	} `json:"project"`
}

// Import reads every configured stream.
func (im *Importer) Import(ctx context.Context, req poll.Request, sink poll.Sink, cp *poll.Checkpoint) error {
	req = req.WithDefaults()
	var repo apiRepo
	if _, err := im.o.Client.GetJSON(ctx, im.gitPath(""), url.Values{"api-version": {apiVersion}}, &repo); err != nil {
		return fmt.Errorf("azure devops %s: %w", im.o.Repo, err)
	}
	if repo.Name == "" {
		repo.Name = im.repoName
	}
	if repo.Project.Name == "" {
		repo.Project.Name = im.project
	}
	err := poll.RunStreams(ctx, req, cp, sink, im.o.Streams, map[string]poll.Fetch{
		StreamCommits:            im.commits(repo, req),
		StreamPullRequests:       im.pullRequests(repo, req),
		StreamBuilds:             im.builds(repo, req),
		StreamReleaseDeployments: im.releaseDeployments(req),
	})
	if err != nil {
		return fmt.Errorf("azure devops %s: %w", im.o.Repo, err)
	}
	return nil
}

func (im *Importer) projectPath() string {
	return "/" + url.PathEscape(im.org) + "/" + url.PathEscape(im.project) + "/_apis"
}

func (im *Importer) gitPath(rest string) string {
	return im.projectPath() + "/git/repositories/" + url.PathEscape(im.repoName) + rest
}

// parse maps a resource as a service hook of eventType would carry it.
func (im *Importer) parse(eventType string, resource any) ([]ingest.Event, error) {
	res, err := json.Marshal(resource)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ingest.ErrPayload, err)
	}
	return poll.ParsePayload(im.w, nil, map[string]any{"eventType": eventType, "resource": json.RawMessage(res)})
}

func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// list is Azure DevOps' list answer.
type list[T any] struct {
	Count int64 `json:"count"`
	Value []T   `json:"value"`
}

// skipOf reads the position of a $top/$skip page: next is "skip=N"
// ("" for the first page).
func skipOf(next string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(next, "skip="))
	return max(n, 0)
}

type apiCommit struct {
	CommitID string `json:"commitId"`
	Comment  string `json:"comment"`
	Author   struct {
		Name string `json:"name"`
		Date string `json:"date"`
	} `json:"author"`
	Committer struct {
		Date string `json:"date"`
	} `json:"committer"`
}

type pushResource struct {
	Repo       repository  `json:"repository"`
	RefUpdates []refUpdate `json:"refUpdates,omitempty"`
	Commits    []apiCommit `json:"commits"`
}

type refUpdate struct {
	Name string `json:"name"`
}

func (im *Importer) commitEvents(log *slog.Logger, repo apiRepo, ref string, cs []apiCommit, change string) ([]ingest.Event, int, error) {
	var out []ingest.Event
	skipped := 0
	r := repository{ID: repo.ID, Name: repo.Name}
	r.Project.Name = repo.Project.Name
	for _, c := range cs {
		res := pushResource{Repo: r, Commits: []apiCommit{c}}
		if ref != "" {
			res.RefUpdates = []refUpdate{{Name: ref}}
		}
		evs, err := im.parse("git.push", res)
		n, err := poll.Skip(log, "commit "+c.CommitID, err)
		if err != nil {
			return nil, skipped, err
		}
		skipped += n
		for i := range evs {
			// An imported commit came in no push.
			delete(evs[i].Attributes, "push_id")
			if change != "" {
				evs[i].Links = map[string]string{"change": change}
			}
		}
		out = append(out, evs...)
	}
	return out, skipped, nil
}

// commits reads the branch's commits since the pass's since, newest first,
// $top at a time.
func (im *Importer) commits(repo apiRepo, req poll.Request) poll.Fetch {
	branch := im.o.Branch
	if branch == "" {
		branch = strings.TrimPrefix(repo.DefaultBranch, "refs/heads/")
	}
	return func(ctx context.Context, next string, since time.Time) (poll.Page, error) {
		skip := skipOf(next)
		q := url.Values{"searchCriteria.fromDate": {isoTime(since)}, "$top": {strconv.Itoa(im.o.Top)},
			"$skip": {strconv.Itoa(skip)}, "api-version": {apiVersion}}
		if branch != "" {
			q.Set("searchCriteria.itemVersion.version", branch)
			q.Set("searchCriteria.itemVersion.versionType", "branch")
		}
		var l list[apiCommit]
		if _, err := im.o.Client.GetJSON(ctx, im.gitPath("/commits"), q, &l); err != nil {
			return poll.Page{}, err
		}
		ref := ""
		if branch != "" {
			ref = "refs/heads/" + branch
		}
		evs, skipped, err := im.commitEvents(req.Logger, repo, ref, l.Value, "")
		if err != nil {
			return poll.Page{}, err
		}
		p := poll.Page{Events: evs, Items: len(l.Value), Skipped: skipped}
		if len(l.Value) >= im.o.Top {
			p.Next = "skip=" + strconv.Itoa(skip+len(l.Value))
		}
		return p, nil
	}
}

type apiPullRequest struct {
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

// pullRequests reads pull requests completed since the pass's since. Each
// yields its change.merged, listing its own commits too (a squash merge
// leaves them off the target branch; lead time starts at them), and a
// change.committed per commit.
func (im *Importer) pullRequests(repo apiRepo, req poll.Request) poll.Fetch {
	return func(ctx context.Context, next string, since time.Time) (poll.Page, error) {
		skip := skipOf(next)
		q := url.Values{"searchCriteria.status": {"completed"}, "searchCriteria.minTime": {isoTime(since)},
			"searchCriteria.queryTimeRangeType": {"closed"}, "$top": {strconv.Itoa(im.o.Top)},
			"$skip": {strconv.Itoa(skip)}, "api-version": {apiVersion}}
		var l list[apiPullRequest]
		if _, err := im.o.Client.GetJSON(ctx, im.gitPath("/pullrequests"), q, &l); err != nil {
			return poll.Page{}, err
		}
		page := poll.Page{Items: len(l.Value)}
		if len(l.Value) >= im.o.Top {
			page.Next = "skip=" + strconv.Itoa(skip+len(l.Value))
		}
		for _, pr := range l.Value {
			if pr.Repo.Name == "" {
				pr.Repo = repository{ID: repo.ID, Name: repo.Name}
			}
			if pr.Repo.Project.Name == "" {
				pr.Repo.Project.Name = repo.Project.Name
			}
			evs, err := im.parse("git.pullrequest.merged", pr)
			n, err := poll.Skip(req.Logger, fmt.Sprintf("pull request %d", pr.PullRequestID), err)
			if err != nil {
				return poll.Page{}, err
			}
			page.Skipped += n
			if n > 0 || len(evs) == 0 {
				continue
			}
			cs, err := im.prCommits(ctx, pr.PullRequestID)
			if err != nil {
				return poll.Page{}, err
			}
			for i := range evs {
				ids := evs[i].Commits
				for _, c := range cs {
					ids = append(ids, c.CommitID)
				}
				evs[i].Commits = commits(ids...)
			}
			page.Events = append(page.Events, evs...)
			cevs, skipped, err := im.commitEvents(req.Logger, repo, pr.SourceRefName, cs,
				fmt.Sprintf("%s/%s#%d", repo.Project.Name, repo.Name, pr.PullRequestID))
			if err != nil {
				return poll.Page{}, err
			}
			page.Skipped += skipped
			page.Events = append(page.Events, cevs...)
		}
		return page, nil
	}
}

// maxPRCommits bounds the commits read per pull request.
const maxPRCommits = 1000

const continuationHeader = "X-Ms-Continuationtoken"

func (im *Importer) prCommits(ctx context.Context, id int64) ([]apiCommit, error) {
	var all []apiCommit
	token := ""
	for len(all) < maxPRCommits {
		q := url.Values{"api-version": {apiVersion}, "$top": {"100"}}
		if token != "" {
			q.Set("continuationToken", token)
		}
		var l list[apiCommit]
		r, err := im.o.Client.GetJSON(ctx, im.gitPath(fmt.Sprintf("/pullRequests/%d/commits", id)), q, &l)
		if err != nil {
			return nil, err
		}
		all = append(all, l.Value...)
		next := r.Header.Get(continuationHeader)
		if next == "" || next == token || len(l.Value) == 0 {
			break
		}
		token = next
	}
	return all, nil
}

type apiBuild struct {
	ID            int64  `json:"id"`
	BuildNumber   string `json:"buildNumber"`
	Status        string `json:"status"`
	Result        string `json:"result"`
	Reason        string `json:"reason"`
	FinishTime    string `json:"finishTime"`
	SourceBranch  string `json:"sourceBranch"`
	SourceVersion string `json:"sourceVersion"`
	Repository    struct {
		ID   string `json:"id"`
		Name string `json:"name"`
		Type string `json:"type"`
	} `json:"repository"`
	Project struct {
		Name string `json:"name"`
	} `json:"project"`
	Definition struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"definition"`
}

// builds reads the repository's builds completed since the pass's since,
// in finish order, following continuation tokens.
func (im *Importer) builds(repo apiRepo, req poll.Request) poll.Fetch {
	return func(ctx context.Context, next string, since time.Time) (poll.Page, error) {
		q := url.Values{"minTime": {isoTime(since)}, "statusFilter": {"completed"}, "queryOrder": {"finishTimeAscending"},
			"$top": {strconv.Itoa(im.o.Top)}, "api-version": {apiVersion}}
		if repo.ID != "" {
			q.Set("repositoryId", repo.ID)
			q.Set("repositoryType", "TfsGit")
		}
		if tok, ok := strings.CutPrefix(next, "token="); ok {
			q.Set("continuationToken", tok)
		}
		var l list[apiBuild]
		r, err := im.o.Client.GetJSON(ctx, im.projectPath()+"/build/builds", q, &l)
		if err != nil {
			return poll.Page{}, err
		}
		page := poll.Page{Items: len(l.Value)}
		if tok := r.Header.Get(continuationHeader); tok != "" && len(l.Value) > 0 {
			page.Next = "token=" + tok
		}
		for _, b := range l.Value {
			res := map[string]any{
				"id": b.ID, "buildNumber": b.BuildNumber, "status": b.Status, "result": b.Result, "reason": b.Reason,
				"finishTime": b.FinishTime, "sourceBranch": b.SourceBranch, "sourceVersion": b.SourceVersion,
				"definition": b.Definition, "project": b.Project,
			}
			if b.Repository.Type == "" || strings.EqualFold(b.Repository.Type, "TfsGit") {
				rr := repository{ID: b.Repository.ID, Name: b.Repository.Name}
				if rr.Name == "" && (b.Repository.ID == "" || b.Repository.ID == repo.ID) {
					rr.Name = repo.Name
				}
				rr.Project.Name = b.Project.Name
				res["repository"] = rr
			}
			evs, err := im.parse("build.complete", res)
			n, err := poll.Skip(req.Logger, fmt.Sprintf("build %d", b.ID), err)
			if err != nil {
				return poll.Page{}, err
			}
			page.Skipped += n
			page.Events = append(page.Events, evs...)
		}
		return page, nil
	}
}
