package bitbucket

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/poll"
)

// DefaultAPI is Bitbucket Cloud's REST API root.
const DefaultAPI = "https://api.bitbucket.org/2.0"

// The streams an Importer reads, in order.
const (
	StreamCommits      = "commits"
	StreamPullRequests = "pullrequests"
	StreamPipelines    = "pipelines"
)

// Streams lists the stream names.
func Streams() []string { return []string{StreamCommits, StreamPullRequests, StreamPipelines} }

// NewAPIClient returns a client for Bitbucket Cloud's REST API: o.BaseURL
// defaults to DefaultAPI; a token alone is an access token (bearer), a
// username and password an app password or API token (basic).
func NewAPIClient(o poll.ClientOptions) (*poll.Client, error) {
	if o.BaseURL == "" {
		o.BaseURL = DefaultAPI
	}
	o.Source = Source
	if o.Auth.Kind == poll.AuthNone {
		switch {
		case o.Auth.Username != "":
			o.Auth.Kind = poll.AuthBasic
		case o.Auth.Token != "":
			o.Auth.Kind = poll.AuthBearer
		}
	}
	return poll.NewClient(o)
}

// ImportOptions configure an Importer. The embedded Options map events
// exactly as the webhook does: give both the same options (deploy_workflows
// says which commit statuses are deployments).
type ImportOptions struct {
	// Client calls the API (NewAPIClient).
	Client *poll.Client `yaml:"-"`
	// Repo is workspace/repo_slug.
	Repo    string `yaml:"-"`
	Options `yaml:",inline"`
	// Streams to read (default all): commits, pullrequests, pipelines.
	Streams []string `yaml:"streams"`
	// Branch whose commits are read (default the main branch).
	Branch string `yaml:"branch"`
	// PageLen is the page size (default 50, Bitbucket's maximum for pull
	// requests; 100 elsewhere).
	PageLen int `yaml:"pagelen"`
}

// Validate reports the first bad option, naming its YAML key.
func (o ImportOptions) Validate() error {
	if o.Client == nil {
		return errors.New("bitbucket import: Client is required")
	}
	if parts := strings.Split(o.Repo, "/"); len(parts) != 2 || parts[0] == "" || parts[1] == "" {
		return fmt.Errorf("repo: %q must be workspace/repo", o.Repo)
	}
	if err := poll.ValidateStreams("streams", o.Streams, Streams()); err != nil {
		return err
	}
	if err := poll.ValidPerPage("pagelen", o.PageLen, 100); err != nil {
		return err
	}
	return o.Options.Validate()
}

// Importer reads a Bitbucket Cloud repository's history: commits, merged
// pull requests with their commits, and the commit statuses of the
// commits its pipelines ran on (Bitbucket Pipelines reports through commit
// statuses, as the webhook sees them). Items are mapped by the webhook's
// code, so event ids match its deliveries'.
//
// The statuses API holds the latest state of each (commit, key): a status
// overwritten before the import (a failed deploy step rerun with success)
// is seen in its last state only.
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
	if o.PageLen == 0 {
		o.PageLen = 50
	}
	w, err := New(o.Options)
	if err != nil {
		return nil, err
	}
	return &Importer{o: o, w: w}, nil
}

// DefaultOverlap is a day: commits are dated when written, not pushed.
func (im *Importer) DefaultOverlap() time.Duration { return 24 * time.Hour }

type apiRepo struct {
	FullName   string `json:"full_name"`
	MainBranch *struct {
		Name string `json:"name"`
	} `json:"mainbranch"`
}

// Import reads every configured stream.
func (im *Importer) Import(ctx context.Context, req poll.Request, sink poll.Sink, cp *poll.Checkpoint) error {
	req = req.WithDefaults()
	var repo apiRepo
	if _, err := im.o.Client.GetJSON(ctx, "/repositories/"+im.o.Repo, nil, &repo); err != nil {
		return fmt.Errorf("bitbucket %s: %w", im.o.Repo, err)
	}
	if repo.FullName == "" {
		repo.FullName = im.o.Repo
	}
	err := poll.RunStreams(ctx, req, cp, sink, im.o.Streams, map[string]poll.Fetch{
		StreamCommits:      im.commits(repo, req),
		StreamPullRequests: im.pullRequests(repo, req),
		StreamPipelines:    im.pipelines(repo, req),
	})
	if err != nil {
		return fmt.Errorf("bitbucket %s: %w", repo.FullName, err)
	}
	return nil
}

func (im *Importer) parse(event string, payload any) ([]ingest.Event, error) {
	return poll.ParsePayload(im.w, http.Header{"X-Event-Key": {event}}, payload)
}

// page is Bitbucket's paginated list.
type page[T any] struct {
	Values  []T    `json:"values"`
	Next    string `json:"next"`
	Size    int64  `json:"size"`
	Page    int    `json:"page"`
	PageLen int    `json:"pagelen"`
}

// nextOf returns the next page: the next link, or for lists that give
// page numbers and a size but no link, the following page number.
func nextOf[T any](p page[T], current string) string {
	if p.Next != "" {
		return p.Next
	}
	if p.Page > 0 && p.PageLen > 0 && p.Size > int64(p.Page*p.PageLen) {
		u, err := url.Parse(current)
		if err != nil {
			return ""
		}
		q := u.Query()
		q.Set("page", strconv.Itoa(p.Page+1))
		u.RawQuery = q.Encode()
		return u.String()
	}
	return ""
}

type apiCommit struct {
	Hash    string `json:"hash"`
	Date    string `json:"date"`
	Message string `json:"message"`
	Author  struct {
		Raw  string   `json:"raw"`
		User *account `json:"user"`
	} `json:"author"`
}

type pushPayload struct {
	Repo repository `json:"repository"`
	Push struct {
		Changes []pushChange `json:"changes"`
	} `json:"push"`
}

type pushChange struct {
	New *struct {
		Type string `json:"type"`
		Name string `json:"name"`
	} `json:"new,omitempty"`
	Truncated bool        `json:"truncated"`
	Commits   []apiCommit `json:"commits"`
}

func (im *Importer) commitEvents(log *slog.Logger, repo, branch string, cs []apiCommit, change string) ([]ingest.Event, int, error) {
	var out []ingest.Event
	skipped := 0
	for _, c := range cs {
		var p pushPayload
		p.Repo.FullName = repo
		ch := pushChange{Commits: []apiCommit{c}}
		if branch != "" {
			ch.New = &struct {
				Type string `json:"type"`
				Name string `json:"name"`
			}{"branch", branch}
		}
		p.Push.Changes = []pushChange{ch}
		evs, err := im.parse("repo:push", p)
		n, err := poll.Skip(log, "commit "+c.Hash, err)
		if err != nil {
			return nil, skipped, err
		}
		skipped += n
		for i := range evs {
			// A push says whether Bitbucket truncated it; an import never does.
			delete(evs[i].Attributes, "truncated")
			if change != "" {
				evs[i].Links = map[string]string{"change": change}
			}
		}
		out = append(out, evs...)
	}
	return out, skipped, nil
}

// before says whether a Bitbucket time is before t (false when unreadable).
func before(s string, t time.Time) bool {
	v, err := ingest.ParseTime(s)
	return err == nil && v.Before(t)
}

// commits reads the branch's commits, newest first, until one is dated
// before since (the commits list takes no date filter).
func (im *Importer) commits(repo apiRepo, req poll.Request) poll.Fetch {
	branch := im.o.Branch
	if branch == "" && repo.MainBranch != nil {
		branch = repo.MainBranch.Name
	}
	return func(ctx context.Context, next string, since time.Time) (poll.Page, error) {
		if next == "" {
			next = "/repositories/" + repo.FullName + "/commits"
			if branch != "" {
				next += "/" + url.PathEscape(branch)
			}
			next += "?pagelen=" + strconv.Itoa(im.o.PageLen)
		}
		var p page[apiCommit]
		if _, err := im.o.Client.GetJSON(ctx, next, nil, &p); err != nil {
			return poll.Page{}, err
		}
		out := poll.Page{Next: nextOf(p, next)}
		// The list is in graph order and a commit's date is its author
		// date, which need not fall: an old commit rebased yesterday sits
		// among new ones. Old commits are skipped, and paging stops only
		// at a page that is old throughout.
		var cs []apiCommit
		for _, c := range p.Values {
			if !before(c.Date, since) {
				cs = append(cs, c)
			}
		}
		if len(cs) == 0 && len(p.Values) > 0 {
			out.Next = ""
		}
		evs, skipped, err := im.commitEvents(req.Logger, repo.FullName, branch, cs, "")
		if err != nil {
			return poll.Page{}, err
		}
		out.Events, out.Items, out.Skipped = evs, len(cs), skipped
		return out, nil
	}
}

type apiPullRequest struct {
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
}

type prPayload struct {
	Repo repository     `json:"repository"`
	PR   apiPullRequest `json:"pullrequest"`
}

// pullRequests reads merged pull requests, most recently updated first,
// until one was updated before since. Each yields its change.merged,
// listing its own commits too (lead time starts at them after a squash),
// and a change.committed per commit.
func (im *Importer) pullRequests(repo apiRepo, req poll.Request) poll.Fetch {
	return func(ctx context.Context, next string, since time.Time) (poll.Page, error) {
		if next == "" {
			next = "/repositories/" + repo.FullName + "/pullrequests?state=MERGED&sort=-updated_on&pagelen=" + strconv.Itoa(im.o.PageLen)
		}
		var p page[apiPullRequest]
		if _, err := im.o.Client.GetJSON(ctx, next, nil, &p); err != nil {
			return poll.Page{}, err
		}
		out := poll.Page{Next: nextOf(p, next)}
		for _, pr := range p.Values {
			if before(pr.UpdatedOn, since) {
				out.Next = ""
				break
			}
			out.Items++
			evs, err := im.parse("pullrequest:fulfilled", prPayload{Repo: repository{FullName: repo.FullName}, PR: pr})
			n, err := poll.Skip(req.Logger, fmt.Sprintf("pull request #%d", pr.ID), err)
			if err != nil {
				return poll.Page{}, err
			}
			out.Skipped += n
			if n > 0 || len(evs) == 0 {
				continue
			}
			cs, err := im.prCommits(ctx, repo.FullName, pr.ID)
			if err != nil {
				return poll.Page{}, err
			}
			for i := range evs {
				ids := evs[i].Commits
				for _, c := range cs {
					ids = append(ids, c.Hash)
				}
				evs[i].Commits = commits(ids...)
			}
			out.Events = append(out.Events, evs...)
			cevs, skipped, err := im.commitEvents(req.Logger, repo.FullName, pr.Source.Branch.Name, cs, fmt.Sprintf("%s#%d", repo.FullName, pr.ID))
			if err != nil {
				return poll.Page{}, err
			}
			out.Skipped += skipped
			out.Events = append(out.Events, cevs...)
		}
		return out, nil
	}
}

// maxPRCommits bounds the commits read per pull request.
const maxPRCommits = 1000

func (im *Importer) prCommits(ctx context.Context, repo string, id int64) ([]apiCommit, error) {
	next := fmt.Sprintf("/repositories/%s/pullrequests/%d/commits?pagelen=100", repo, id)
	var all []apiCommit
	for next != "" && len(all) < maxPRCommits {
		var p page[apiCommit]
		if _, err := im.o.Client.GetJSON(ctx, next, nil, &p); err != nil {
			return nil, err
		}
		all = append(all, p.Values...)
		n := nextOf(p, next)
		if n == next {
			break
		}
		next = n
	}
	return all, nil
}

type apiPipeline struct {
	UUID        string `json:"uuid"`
	BuildNumber int64  `json:"build_number"`
	State       struct {
		Name string `json:"name"`
	} `json:"state"`
	Target struct {
		RefName string `json:"ref_name"`
		Commit  struct {
			Hash string `json:"hash"`
		} `json:"commit"`
	} `json:"target"`
	CreatedOn string `json:"created_on"`
}

type apiStatus struct {
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
}

type statusPayload struct {
	Repo   repository `json:"repository"`
	Status apiStatus  `json:"commit_status"`
}

// pipelines reads pipelines, newest first, until one was created before
// since, and maps the commit statuses of the commits the completed ones
// ran on: that is how Pipelines reports builds and deploy steps, and how
// the webhook sees them.
func (im *Importer) pipelines(repo apiRepo, req poll.Request) poll.Fetch {
	return func(ctx context.Context, next string, since time.Time) (poll.Page, error) {
		if next == "" {
			next = "/repositories/" + repo.FullName + "/pipelines?sort=-created_on&pagelen=" + strconv.Itoa(im.o.PageLen)
		}
		var p page[apiPipeline]
		if _, err := im.o.Client.GetJSON(ctx, next, nil, &p); err != nil {
			return poll.Page{}, err
		}
		out := poll.Page{Next: nextOf(p, next)}
		var hashes []string
		for _, pl := range p.Values {
			if before(pl.CreatedOn, since) {
				out.Next = ""
				break
			}
			out.Items++
			if pl.State.Name == "COMPLETED" && pl.Target.Commit.Hash != "" && !slices.Contains(hashes, pl.Target.Commit.Hash) {
				hashes = append(hashes, pl.Target.Commit.Hash)
			}
		}
		for _, h := range hashes {
			snext := fmt.Sprintf("/repositories/%s/commit/%s/statuses?pagelen=100", repo.FullName, url.PathEscape(h))
			for snext != "" {
				var sp page[apiStatus]
				if _, err := im.o.Client.GetJSON(ctx, snext, nil, &sp); err != nil {
					return poll.Page{}, err
				}
				for _, s := range sp.Values {
					if s.Commit.Hash == "" {
						s.Commit.Hash = h
					}
					evs, err := im.parse("repo:commit_status_updated", statusPayload{Repo: repository{FullName: repo.FullName}, Status: s})
					n, err := poll.Skip(req.Logger, fmt.Sprintf("status %s of %s", s.Key, h), err)
					if err != nil {
						return poll.Page{}, err
					}
					out.Skipped += n
					out.Events = append(out.Events, evs...)
				}
				n := nextOf(sp, snext)
				if n == snext {
					break
				}
				snext = n
			}
		}
		return out, nil
	}
}
