package azuredevops

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/throughline/throughline/poll"
)

type apiReleaseDeployment struct {
	ID                int64   `json:"id"`
	DeploymentStatus  string  `json:"deploymentStatus"`
	CompletedOn       string  `json:"completedOn"`
	ModifiedOn        string  `json:"lastModifiedOn"`
	Release           release `json:"release"`
	ReleaseDefinition struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"releaseDefinition"`
	ReleaseEnvironment struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
	} `json:"releaseEnvironment"`
}

// releaseDeployments reads the project's classic release deployments
// modified since the pass's since, oldest first; finished ones map as the
// "release deployment completed" hook does.
func (im *Importer) releaseDeployments(req poll.Request) poll.Fetch {
	return func(ctx context.Context, next string, since time.Time) (poll.Page, error) {
		q := url.Values{"minModifiedTime": {isoTime(since)}, "queryOrder": {"ascending"},
			"$top": {strconv.Itoa(im.o.Top)}, "api-version": {apiVersion}}
		if tok, ok := strings.CutPrefix(next, "token="); ok {
			q.Set("continuationToken", tok)
		}
		var l list[apiReleaseDeployment]
		r, err := im.o.ReleaseClient.GetJSON(ctx, im.projectPath()+"/release/deployments", q, &l)
		if err != nil {
			return poll.Page{}, err
		}
		page := poll.Page{Items: len(l.Value)}
		if tok := r.Header.Get(continuationHeader); tok != "" && len(l.Value) > 0 {
			page.Next = "token=" + tok
		}
		for _, d := range l.Value {
			if len(im.o.ReleaseDefinitions) > 0 && !slices.Contains(im.o.ReleaseDefinitions, d.ReleaseDefinition.Name) {
				continue
			}
			res := map[string]any{
				"environment": map[string]any{"id": d.ReleaseEnvironment.ID, "name": d.ReleaseEnvironment.Name,
					"status": d.DeploymentStatus, "modifiedOn": d.ModifiedOn,
					"release": map[string]any{"id": d.Release.ID, "name": d.Release.Name}},
				"deployment": map[string]any{"id": d.ID, "deploymentStatus": d.DeploymentStatus, "completedOn": d.CompletedOn,
					"release": d.Release, "releaseDefinition": map[string]any{"name": d.ReleaseDefinition.Name}},
				"project": map[string]any{"name": im.project},
			}
			evs, err := im.parse("ms.vss-release.deployment-completed-event", res)
			n, err := poll.Skip(req.Logger, fmt.Sprintf("release deployment %d", d.ID), err)
			if err != nil {
				return poll.Page{}, err
			}
			page.Skipped += n
			page.Events = append(page.Events, evs...)
		}
		return page, nil
	}
}
