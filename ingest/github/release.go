package github

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/throughline/throughline/ingest"
)

// release: ignored unless ReleasesAreDeployments; then a published
// release that is not a pre-release is a successful deployment.
func (w *Webhook) release(body []byte) ([]ingest.Event, error) {
	var p struct {
		Action  string     `json:"action"`
		Repo    repository `json:"repository"`
		Release struct {
			ID              int64  `json:"id"`
			TagName         string `json:"tag_name"`
			Name            string `json:"name"`
			TargetCommitish string `json:"target_commitish"`
			Prerelease      bool   `json:"prerelease"`
			Draft           bool   `json:"draft"`
			PublishedAt     string `json:"published_at"`
			Author          user   `json:"author"`
		} `json:"release"`
	}
	if err := decode("release", body, &p); err != nil {
		return nil, err
	}
	if !w.opts.ReleasesAreDeployments {
		return nil, fmt.Errorf("%w: release %s (releases are not deployments; see releases_are_deployments)", ingest.ErrIgnored, p.Action)
	}
	if p.Action != "published" {
		return nil, fmt.Errorf("%w: release action %s", ingest.ErrIgnored, p.Action)
	}
	if p.Release.Prerelease || p.Release.Draft {
		return nil, fmt.Errorf("%w: pre-release or draft %s", ingest.ErrIgnored, p.Release.TagName)
	}
	if err := requireRepo("release", p.Repo); err != nil {
		return nil, err
	}
	if p.Release.ID == 0 {
		return nil, fmt.Errorf("%w: release: release.id is missing", ingest.ErrPayload)
	}
	t, err := parseTime("release", "release.published_at", p.Release.PublishedAt)
	if err != nil {
		return nil, err
	}
	var cs []string
	// target_commitish is usually a branch name; only a full SHA is a commit.
	if isSHA(p.Release.TargetCommitish) {
		cs = commits(p.Release.TargetCommitish)
	}
	return []ingest.Event{{
		ID:          "release:" + strconv.FormatInt(p.Release.ID, 10),
		Type:        ingest.TypeDeploymentFinished,
		Time:        t,
		Subject:     strconv.FormatInt(p.Release.ID, 10),
		Repo:        p.Repo.FullName,
		Service:     w.service(p.Repo.FullName),
		Environment: w.environment(w.opts.DeployEnvironment),
		Outcome:     "success",
		Commits:     cs,
		Attributes:  attrs("tag", p.Release.TagName, "name", p.Release.Name, "target_commitish", p.Release.TargetCommitish, "author", p.Release.Author.Login),
	}}, nil
}

func isSHA(s string) bool {
	if len(s) != 40 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}
