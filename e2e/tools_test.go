package e2e

// Builders of the tools' webhook deliveries. Each starts from the recorded
// payload in testdata/webhooks/<tool>/ (real where the provenance says so),
// patches the fields the story needs, and authenticates the request the way
// the tool does; a builder made with the wrong secret forges a delivery.

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// commit is a commit as a push carries it.
type commit struct {
	sha     string
	message string
	at      time.Time
}

// ---- GitHub ----

// githubHook signs with X-Hub-Signature-256 under secret.
type githubHook struct{ secret string }

func (g githubHook) deliver(t testing.TB, what, name, deliveryID string, doc any) delivery {
	t.Helper()
	_, h := recorded(t, "github", name)
	body := encode(t, doc)
	h.Set("X-GitHub-Delivery", deliveryID)
	h.Set("X-Hub-Signature-256", "sha256="+hmacHex(g.secret, body))
	return delivery{what: "github " + what, path: "/webhooks/github", header: h, body: body}
}

func githubRepo(t testing.TB, doc any, repo string) {
	set(t, doc, "repository.full_name", repo)
	set(t, doc, "repository.name", repo[strings.IndexByte(repo, '/')+1:])
}

// push of commits to ref; GitHub writes commit times in the committer's zone.
func (g githubHook) push(t testing.TB, deliveryID, repo, ref string, cs ...commit) delivery {
	t.Helper()
	return g.pushAfter(t, deliveryID, repo, ref, strings.Repeat("0", 40), cs...)
}

// pushAfter is a push of commits onto before, the branch's previous head
// (all zeros for a new branch).
func (g githubHook) pushAfter(t testing.TB, deliveryID, repo, ref, before string, cs ...commit) delivery {
	t.Helper()
	doc, _ := recorded(t, "github", "push.commits")
	set(t, doc, "before", before)
	tmpl := get(t, doc, "commits.0")
	var list []any
	for _, c := range cs {
		x := clone(t, tmpl)
		set(t, x, "id", c.sha)
		set(t, x, "message", c.message)
		set(t, x, "timestamp", c.at.In(cet).Format(time.RFC3339))
		set(t, x, "url", "https://github.com/"+repo+"/commit/"+c.sha)
		list = append(list, x)
	}
	githubRepo(t, doc, repo)
	set(t, doc, "ref", ref)
	set(t, doc, "after", cs[len(cs)-1].sha)
	set(t, doc, "commits", list)
	set(t, doc, "head_commit", clone(t, list[len(list)-1]))
	return g.deliver(t, "push to "+ref, "push.commits", deliveryID, doc)
}

// merged is a pull request closed by a merge: mergeSHA is the commit the
// merge put on the base branch (the squash commit of a squash merge).
func (g githubHook) merged(t testing.TB, deliveryID, repo string, number int, title, headRef, headSHA, mergeSHA string, when time.Time) delivery {
	t.Helper()
	doc, _ := recorded(t, "github", "pull_request.closed.merged")
	githubRepo(t, doc, repo)
	set(t, doc, "number", number)
	set(t, doc, "pull_request.number", number)
	set(t, doc, "pull_request.title", title)
	set(t, doc, "pull_request.head.ref", headRef)
	set(t, doc, "pull_request.head.sha", headSHA)
	set(t, doc, "pull_request.base.ref", "main")
	set(t, doc, "pull_request.merge_commit_sha", mergeSHA)
	set(t, doc, "pull_request.merged_at", when.UTC().Format(time.RFC3339))
	set(t, doc, "pull_request.closed_at", when.UTC().Format(time.RFC3339))
	set(t, doc, "pull_request.updated_at", when.UTC().Format(time.RFC3339))
	return g.deliver(t, fmt.Sprintf("pull request #%d merged", number), "pull_request.closed.merged", deliveryID, doc)
}

// deployment is a deployment_status event: state success, failure, error,
// or an unfinished one (pending, in_progress, queued).
func (g githubHook) deployment(t testing.TB, deliveryID, repo string, deploymentID, statusID int, env, state, sha string, when time.Time) delivery {
	t.Helper()
	doc, _ := recorded(t, "github", "deployment_status.success")
	githubRepo(t, doc, repo)
	ts := when.UTC().Format(time.RFC3339)
	set(t, doc, "deployment.id", deploymentID)
	set(t, doc, "deployment.sha", sha)
	set(t, doc, "deployment.ref", "main")
	set(t, doc, "deployment.environment", env)
	set(t, doc, "deployment.original_environment", env)
	set(t, doc, "deployment.created_at", when.Add(-3*time.Minute).UTC().Format(time.RFC3339))
	set(t, doc, "deployment.updated_at", ts)
	set(t, doc, "deployment_status.id", statusID)
	set(t, doc, "deployment_status.state", state)
	set(t, doc, "deployment_status.environment", env)
	set(t, doc, "deployment_status.created_at", ts)
	set(t, doc, "deployment_status.updated_at", ts)
	return g.deliver(t, fmt.Sprintf("deployment %d %s to %s", deploymentID, state, env), "deployment_status.success", deliveryID, doc)
}

// ---- GitLab ----

// gitlabHook authenticates with X-Gitlab-Token.
type gitlabHook struct{ token string }

func (g gitlabHook) deliver(t testing.TB, what, name, eventUUID string, doc any) delivery {
	t.Helper()
	_, h := recorded(t, "gitlab", name)
	h.Set("X-Gitlab-Event-UUID", eventUUID)
	h.Set("X-Gitlab-Token", g.token)
	return delivery{what: "gitlab " + what, path: "/webhooks/gitlab", header: h, body: encode(t, doc)}
}

func (g gitlabHook) push(t testing.TB, eventUUID, project, ref string, cs ...commit) delivery {
	t.Helper()
	doc, _ := recorded(t, "gitlab", "push")
	tmpl := get(t, doc, "commits.0")
	var list []any
	for _, c := range cs {
		x := clone(t, tmpl)
		set(t, x, "id", c.sha)
		set(t, x, "message", c.message+"\n")
		set(t, x, "title", c.message)
		set(t, x, "timestamp", c.at.In(cet).Format(time.RFC3339))
		set(t, x, "url", "https://gitlab.example.com/"+project+"/-/commit/"+c.sha)
		list = append(list, x)
	}
	set(t, doc, "project.path_with_namespace", project)
	set(t, doc, "ref", ref)
	set(t, doc, "after", cs[len(cs)-1].sha)
	set(t, doc, "checkout_sha", cs[len(cs)-1].sha)
	set(t, doc, "commits", list)
	set(t, doc, "total_commits_count", len(cs))
	return g.deliver(t, "push to "+ref, "push", eventUUID, doc)
}

// merged is a merge request merged with a merge commit and squashing:
// main gets the squash commit and the merge commit.
func (g gitlabHook) merged(t testing.TB, eventUUID, project string, iid int, sourceBranch, lastCommit, squashSHA, mergeSHA string, when time.Time) delivery {
	t.Helper()
	doc, _ := recorded(t, "gitlab", "merge_request.merge")
	set(t, doc, "project.path_with_namespace", project)
	set(t, doc, "object_attributes.iid", iid)
	set(t, doc, "object_attributes.source_branch", sourceBranch)
	set(t, doc, "object_attributes.target_branch", "main")
	set(t, doc, "object_attributes.last_commit.id", lastCommit)
	set(t, doc, "object_attributes.squash", true)
	set(t, doc, "object_attributes.squash_commit_sha", squashSHA)
	set(t, doc, "object_attributes.merge_commit_sha", mergeSHA)
	// GitLab's own "2013-12-04 09:41:27 +0100"-style times, here with UTC.
	set(t, doc, "object_attributes.updated_at", when.UTC().Format("2006-01-02 15:04:05 MST"))
	return g.deliver(t, fmt.Sprintf("merge request !%d merged", iid), "merge_request.merge", eventUUID, doc)
}

// deployment is a Deployment Hook; status success, failed, running or canceled.
func (g gitlabHook) deployment(t testing.TB, eventUUID, project string, id int, env, status, sha string, when time.Time) delivery {
	t.Helper()
	doc, _ := recorded(t, "gitlab", "deployment.success")
	set(t, doc, "project.path_with_namespace", project)
	set(t, doc, "deployment_id", id)
	set(t, doc, "deployable_id", 9000+id)
	set(t, doc, "environment", env)
	set(t, doc, "environment_slug", env)
	set(t, doc, "status", status)
	set(t, doc, "status_changed_at", when.In(cet).Format("2006-01-02 15:04:05 -0700"))
	set(t, doc, "short_sha", sha[:8])
	set(t, doc, "commit_url", "https://gitlab.example.com/"+project+"/-/commit/"+sha)
	set(t, doc, "ref", "main")
	return g.deliver(t, fmt.Sprintf("deployment %d %s to %s", id, status, env), "deployment.success", eventUUID, doc)
}

// ---- Bitbucket Cloud ----

// bitbucketHook signs with X-Hub-Signature (sha256=) under secret.
type bitbucketHook struct{ secret string }

func (b bitbucketHook) deliver(t testing.TB, what, name, requestUUID string, doc any) delivery {
	t.Helper()
	_, h := recorded(t, "bitbucket", name)
	body := encode(t, doc)
	h.Set("X-Request-UUID", requestUUID)
	h.Set("X-Hub-Signature", "sha256="+hmacHex(b.secret, body))
	return delivery{what: "bitbucket " + what, path: "/webhooks/bitbucket", header: h, body: body}
}

func (b bitbucketHook) push(t testing.TB, requestUUID, repo, branch string, cs ...commit) delivery {
	t.Helper()
	doc, _ := recorded(t, "bitbucket", "repo_push")
	tmpl := get(t, doc, "push.changes.0.commits.0")
	var list []any
	// Bitbucket lists a change's commits newest first.
	for i := len(cs) - 1; i >= 0; i-- {
		x := clone(t, tmpl)
		set(t, x, "hash", cs[i].sha)
		set(t, x, "message", cs[i].message+"\n")
		set(t, x, "date", cs[i].at.UTC().Format("2006-01-02T15:04:05-07:00"))
		list = append(list, x)
	}
	set(t, doc, "repository.full_name", repo)
	set(t, doc, "push.changes.0.new.name", branch)
	set(t, doc, "push.changes.0.commits", list)
	return b.deliver(t, "push to "+branch, "repo_push", requestUUID, doc)
}

// merged is pullrequest:fulfilled; Bitbucket abbreviates both hashes to 12
// digits.
func (b bitbucketHook) merged(t testing.TB, requestUUID, repo string, id int, sourceBranch, sourceSHA, mergeSHA string, when time.Time) delivery {
	t.Helper()
	doc, _ := recorded(t, "bitbucket", "pullrequest_fulfilled")
	set(t, doc, "repository.full_name", repo)
	set(t, doc, "pullrequest.id", id)
	set(t, doc, "pullrequest.source.branch.name", sourceBranch)
	set(t, doc, "pullrequest.source.commit.hash", sourceSHA[:12])
	set(t, doc, "pullrequest.destination.branch.name", "main")
	set(t, doc, "pullrequest.merge_commit.hash", mergeSHA[:12])
	set(t, doc, "pullrequest.updated_on", when.UTC().Format("2006-01-02T15:04:05.000000-07:00"))
	return b.deliver(t, fmt.Sprintf("pull request #%d fulfilled", id), "pullrequest_fulfilled", requestUUID, doc)
}

// status is repo:commit_status_updated of a Pipelines step (key), or
// repo:commit_status_created when created is set.
func (b bitbucketHook) status(t testing.TB, requestUUID, repo, key, state, sha string, run int, when time.Time, created bool) delivery {
	t.Helper()
	doc, _ := recorded(t, "bitbucket", "repo_commit_status_updated")
	set(t, doc, "repository.full_name", repo)
	set(t, doc, "commit_status.key", key)
	set(t, doc, "commit_status.name", fmt.Sprintf("Pipeline #%d for main: %s", run, key))
	set(t, doc, "commit_status.state", state)
	set(t, doc, "commit_status.refname", "main")
	set(t, doc, "commit_status.url", fmt.Sprintf("https://bitbucket.org/%s/addon/pipelines/home#!/results/%d", repo, run))
	set(t, doc, "commit_status.commit.hash", sha)
	set(t, doc, "commit_status.created_on", when.Add(-3*time.Minute).UTC().Format("2006-01-02T15:04:05.000000-07:00"))
	set(t, doc, "commit_status.updated_on", when.In(cet).Format("2006-01-02T15:04:05.000000-07:00"))
	d := b.deliver(t, fmt.Sprintf("status %s %s of %.7s", key, state, sha), "repo_commit_status_updated", requestUUID, doc)
	if created {
		d.header.Set("X-Event-Key", "repo:commit_status_created")
		d.what += " (created)"
	}
	return d
}

// ---- Azure DevOps ----

// azureHook authenticates with the service hook's basic credentials.
type azureHook struct{ user, password string }

func (a azureHook) deliver(t testing.TB, what, name, notificationID string, doc any) delivery {
	t.Helper()
	_, h := recorded(t, "azuredevops", name)
	set(t, doc, "id", notificationID)
	h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(a.user+":"+a.password)))
	return delivery{what: "azuredevops " + what, path: "/webhooks/azuredevops", header: h, body: encode(t, doc)}
}

func azureRepo(t testing.TB, doc any, prefix, project, repo string) {
	set(t, doc, prefix+".name", repo)
	set(t, doc, prefix+".project.name", project)
}

func (a azureHook) push(t testing.TB, notificationID, project, repo, branch string, cs ...commit) delivery {
	t.Helper()
	doc, _ := recorded(t, "azuredevops", "git.push")
	tmpl := get(t, doc, "resource.commits.0")
	var list []any
	for _, c := range cs {
		x := clone(t, tmpl)
		set(t, x, "commitId", c.sha)
		set(t, x, "comment", c.message)
		set(t, x, "author.date", c.at.In(pst).Format(time.RFC3339))
		set(t, x, "committer.date", c.at.UTC().Format(time.RFC3339))
		list = append(list, x)
	}
	azureRepo(t, doc, "resource.repository", project, repo)
	set(t, doc, "resource.refUpdates.0.name", "refs/heads/"+branch)
	set(t, doc, "resource.refUpdates.0.newObjectId", cs[len(cs)-1].sha)
	set(t, doc, "resource.commits", list)
	set(t, doc, "createdDate", cs[len(cs)-1].at.UTC().Format(time.RFC3339))
	return a.deliver(t, "push to "+branch, "git.push", notificationID, doc)
}

// merged is git.pullrequest.merged of a completed pull request:
// lastMergeCommit is the commit the completion put on the target branch.
func (a azureHook) merged(t testing.TB, notificationID, project, repo string, id int, sourceBranch, sourceSHA, mergeSHA string, when time.Time) delivery {
	t.Helper()
	doc, _ := recorded(t, "azuredevops", "git.pullrequest.merged")
	azureRepo(t, doc, "resource.repository", project, repo)
	set(t, doc, "resource.pullRequestId", id)
	set(t, doc, "resource.status", "completed")
	set(t, doc, "resource.mergeStatus", "succeeded")
	set(t, doc, "resource.sourceRefName", "refs/heads/"+sourceBranch)
	set(t, doc, "resource.targetRefName", "refs/heads/main")
	set(t, doc, "resource.lastMergeSourceCommit.commitId", sourceSHA)
	set(t, doc, "resource.lastMergeCommit.commitId", mergeSHA)
	set(t, doc, "resource.closedDate", when.UTC().Format("2006-01-02T15:04:05.0000000Z"))
	return a.deliver(t, fmt.Sprintf("pull request %d merged", id), "git.pullrequest.merged", notificationID, doc)
}

// build is build.complete of pipeline (a deployment when it matches the
// configured deploy_workflows); result succeeded, failed, canceled, ...
func (a azureHook) build(t testing.TB, notificationID, project, repo, pipeline string, id int, result, sha string, when time.Time) delivery {
	t.Helper()
	doc, _ := recorded(t, "azuredevops", "build.complete")
	set(t, doc, "resource.id", id)
	set(t, doc, "resource.buildNumber", when.Format("20060102")+"."+strconv.Itoa(id%10))
	set(t, doc, "resource.status", "completed")
	set(t, doc, "resource.result", result)
	set(t, doc, "resource.finishTime", when.UTC().Format("2006-01-02T15:04:05.000000Z"))
	set(t, doc, "resource.sourceBranch", "refs/heads/main")
	set(t, doc, "resource.sourceVersion", sha)
	set(t, doc, "resource.repository.name", repo)
	set(t, doc, "resource.project.name", project)
	set(t, doc, "resource.definition.name", pipeline)
	return a.deliver(t, fmt.Sprintf("build %d of %s %s", id, pipeline, result), "build.complete", notificationID, doc)
}

// ---- Jenkins (Notification plugin) ----

// jenkinsHook signs with X-Throughline-Signature under the shared token.
type jenkinsHook struct{ token string }

// build is the plugin's notification of a build of folder/job; phase
// COMPLETED carries timestamp = start + duration (epoch ms).
func (j jenkinsHook) build(t testing.TB, folder, job string, number int, phase, status, env, sha string, when time.Time) delivery {
	t.Helper()
	doc := readDoc(t, "../testdata/webhooks/jenkins/completed.deploy.success.json")
	u := "job/" + folder + "/job/" + job + "/"
	set(t, doc, "name", job)
	set(t, doc, "display_name", job)
	set(t, doc, "url", u)
	set(t, doc, "build.number", number)
	set(t, doc, "build.url", u+strconv.Itoa(number)+"/")
	set(t, doc, "build.full_url", "https://jenkins.example.com/"+u+strconv.Itoa(number)+"/")
	set(t, doc, "build.phase", phase)
	set(t, doc, "build.status", status)
	set(t, doc, "build.timestamp", when.UnixMilli())
	set(t, doc, "build.duration", 95211)
	set(t, doc, "build.scm.commit", sha)
	set(t, doc, "build.scm.url", "https://github.com/acme/shop.git")
	set(t, doc, "build.parameters.ENVIRONMENT", env)
	body := encode(t, doc)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Throughline-Signature", "sha256="+hmacHex(j.token, body))
	return delivery{what: fmt.Sprintf("jenkins %s/%s#%d %s %s", folder, job, number, phase, status), path: "/webhooks/jenkins", header: h, body: body}
}

// ---- Argo CD (the shipped notification template) ----

// argoHook authenticates with the bearer token of service.webhook.throughline.
type argoHook struct{ token string }

// sync is the app-deployed/v1 template's output for a sync of revision to
// namespace; phase Succeeded, Failed, Error or Running.
func (a argoHook) sync(t testing.TB, app, namespace, phase, revision string, when time.Time) delivery {
	t.Helper()
	doc := readDoc(t, "../testdata/webhooks/argocd/deployed.checkout.json")
	fin := when.UTC().Format(time.RFC3339)
	set(t, doc, "app", app)
	set(t, doc, "project", "web")
	set(t, doc, "labels", map[string]any{"team": "web"})
	set(t, doc, "repo_url", "https://github.com/acme/shop.git")
	set(t, doc, "revision", revision)
	set(t, doc, "phase", phase)
	set(t, doc, "started_at", when.Add(-2*time.Minute).UTC().Format(time.RFC3339))
	set(t, doc, "finished_at", fin)
	set(t, doc, "destination.namespace", namespace)
	set(t, doc, "deployment_id", app+"-"+revision+"-"+fin)
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("Authorization", "Bearer "+a.token)
	return delivery{what: fmt.Sprintf("argocd %s sync %s to %s", app, phase, namespace), path: "/webhooks/argocd", header: h, body: encode(t, doc)}
}

// ---- CDEvents over the CloudEvents HTTP binding ----

// cdeventsHook signs with X-Throughline-Signature under the shared secret.
type cdeventsHook struct{ secret string }

func (c cdeventsHook) sign(d delivery) delivery {
	d.header.Set("X-Throughline-Signature", "sha256="+hmacHex(c.secret, d.body))
	return d
}

// deployedBinary is service.deployed in binary mode (ce-* headers, the
// CDEvent as the body), the artifact a purl naming the git commit.
func (c cdeventsHook) deployedBinary(t testing.TB, id, subject, env, purl string, when time.Time) delivery {
	t.Helper()
	doc, h := recorded(t, "cdevents", "binary.service_deployed")
	ts := when.UTC().Format(time.RFC3339Nano)
	set(t, doc, "context.id", id)
	set(t, doc, "context.source", "/tekton/prod-cluster")
	set(t, doc, "context.timestamp", ts)
	set(t, doc, "context.schemaUri", "https://cdevents.dev/0.5.1/schema/service-deployed-event")
	set(t, doc, "subject.id", subject)
	set(t, doc, "subject.source", "/tekton/prod-cluster")
	set(t, doc, "subject.content.environment.id", env)
	set(t, doc, "subject.content.artifactId", purl)
	h.Set("ce-id", id)
	h.Set("ce-source", "/tekton/prod-cluster")
	h.Set("ce-time", ts)
	return c.sign(delivery{what: "cdevents service.deployed (binary) " + subject + " to " + env, path: "/webhooks/cdevents", header: h, body: encode(t, doc)})
}

// structured wraps a CDEvent in a structured-mode CloudEvent.
func (c cdeventsHook) structured(t testing.TB, what string, cdevent any) delivery {
	t.Helper()
	env, h := recorded(t, "cdevents", "structured.pipelinerun_finished")
	set(t, env, "id", get(t, cdevent, "context.id"))
	set(t, env, "source", get(t, cdevent, "context.source"))
	set(t, env, "type", get(t, cdevent, "context.type"))
	set(t, env, "time", get(t, cdevent, "context.timestamp"))
	set(t, env, "data", cdevent)
	return c.sign(delivery{what: "cdevents " + what + " (structured)", path: "/webhooks/cdevents", header: h, body: encode(t, env)})
}

// merged is change.merged (the spec's conformance example) listing every
// commit of the change in customData.commits, which CDEvents allows and
// GitHub's webhook cannot.
func (c cdeventsHook) merged(t testing.TB, id, subject, repo string, commits []string, when time.Time) delivery {
	t.Helper()
	doc := readDoc(t, "../testdata/cdevents/change_merged.json")
	set(t, doc, "context.id", id)
	set(t, doc, "context.source", "/github-bridge/acme")
	set(t, doc, "context.timestamp", when.UTC().Format(time.RFC3339Nano))
	set(t, doc, "context.schemaUri", "https://cdevents.dev/0.5.1/schema/change-merged-event")
	set(t, doc, "subject.id", subject)
	set(t, doc, "subject.source", "/github-bridge/acme")
	set(t, doc, "subject.content.repository.id", repo)
	set(t, doc, "subject.content.repository.source", "https://github.com")
	list := make([]any, len(commits))
	for i, s := range commits {
		list[i] = s
	}
	set(t, doc, "customData", map[string]any{"commits": list})
	return c.structured(t, "change.merged "+subject, doc)
}

// deployedStructured is service.deployed in structured mode, the artifact an
// OCI image (no commit in it) and the commit in customData.commit.
func (c cdeventsHook) deployedStructured(t testing.TB, id, subject, env, image, sha string, when time.Time) delivery {
	t.Helper()
	doc := readDoc(t, "../testdata/cdevents/service_deployed.json")
	set(t, doc, "context.id", id)
	set(t, doc, "context.source", "/tekton/prod-cluster")
	set(t, doc, "context.timestamp", when.UTC().Format(time.RFC3339Nano))
	set(t, doc, "context.schemaUri", "https://cdevents.dev/0.5.1/schema/service-deployed-event")
	set(t, doc, "subject.id", subject)
	set(t, doc, "subject.source", "/tekton/prod-cluster")
	set(t, doc, "subject.content.environment.id", env)
	set(t, doc, "subject.content.artifactId", image)
	set(t, doc, "customData", map[string]any{"commit": sha})
	return c.structured(t, "service.deployed "+subject+" to "+env, doc)
}

// unsupported is a well-formed CDEvent of a type with no generic counterpart.
func (c cdeventsHook) unsupported(t testing.TB) delivery {
	t.Helper()
	doc, h := recorded(t, "cdevents", "binary.taskrun_started")
	return c.sign(delivery{what: "cdevents taskrun.started (binary)", path: "/webhooks/cdevents", header: h, body: encode(t, doc)})
}

// jsonString is a compact rendering for failure messages.
func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
