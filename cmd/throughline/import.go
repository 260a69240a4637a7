package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/throughline/throughline/app"
	"github.com/throughline/throughline/eventstore"
	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/poll"
	"github.com/throughline/throughline/poll/sources"
)

const importUsage = `Usage: throughline import <tool> [flags]

Reads a tool's history through its REST API into the store: the backfill
before webhooks take over, or a catch-up after an outage. Tools:

  github        commits, merged pull requests with their commits, deployments and
                their statuses, workflow runs                     --repo owner/repo
  gitlab        commits, merged merge requests with their commits, deployments,
                pipelines                                   --repo group/project
  bitbucket     commits, merged pull requests with their commits, pipelines'
                commit statuses                            --repo workspace/repo
  azure-devops  commits, completed pull requests with their commits, builds,
                classic release deployments   --repo organization/project/repo
  servicenow    incidents and change requests (Table API)
                                    --instance https://<name>.service-now.com
  jira          issues and their status changes (search with changelog)
                     --instance https://<site>.atlassian.net [--project KEY]
  bmchelix      incidents and infrastructure changes (AR System REST API)
                --instance https://<tenant>-restapi.onbmc.com --username USER
  cherwell      incidents and change requests (CSM REST API ad-hoc search)
                --instance https://<host> --client-id KEY --username USER
                --options cherwell.yaml (incident_busobid, change_busobid)

Events get the ids their webhooks give, so importing what webhooks already
delivered, or importing twice, stores nothing twice. The position is saved
after every page (--checkpoint-dir): run the same command again after an
interruption and it continues where it stopped; run it later and it reads
only what changed since, less an overlap. Tokens are read from environment
variables, never from flags, and are never printed.

Flags:
`

const importExamples = `
Examples:
  export GITHUB_TOKEN=ghp_...    # fine-grained, read-only: contents, pull requests,
                                 # deployments, actions (see poll/SOURCES.md)
  throughline import github --repo acme/checkout --since 2026-01-01

  GITLAB_TOKEN=glpat-... throughline import gitlab --repo acme/platform/payments \
      --since 180d --base-url https://gitlab.acme.example/api/v4

  throughline import azure-devops --repo acme/Retail/basket --token-env ADO_PAT \
      --options ado.yaml          # e.g. pipeline_services: {basket-release: basket}

  SERVICENOW_PASSWORD=... throughline import servicenow \
      --instance https://acme.service-now.com --username svc.throughline --since 90d

  throughline import jira --instance https://acme.atlassian.net --project SHOP \
      --username me@acme.example --token-env JIRA_API_TOKEN --since 2026-01-01

  HELIX_PASSWORD=... throughline import bmchelix \
      --instance https://acme-restapi.onbmc.com --username svc.throughline --since 90d

  CHERWELL_PASSWORD=... throughline import cherwell \
      --instance https://acme.cherwellondemand.com --client-id 3a1b5c7d-... \
      --username svc.throughline --options cherwell.yaml --since 90d
                                 # cherwell.yaml: incident_busobid: 6dd5..., change_busobid: 934e...
`

// defaultTokenEnv is each tool's usual token variable.
var defaultTokenEnv = map[string]string{
	poll.ToolGitHub: "GITHUB_TOKEN", poll.ToolGitLab: "GITLAB_TOKEN", poll.ToolBitbucket: "BITBUCKET_TOKEN",
	poll.ToolAzureDevOps: "AZURE_DEVOPS_PAT", poll.ToolJira: "JIRA_API_TOKEN",
}

// importTools are the tools the command imports (the generic poller needs
// a configuration file: use a polling job).
var importTools = []string{poll.ToolGitHub, poll.ToolGitLab, poll.ToolBitbucket, poll.ToolAzureDevOps, poll.ToolServiceNow, poll.ToolJira, poll.ToolHelix, poll.ToolCherwell}

func importCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, importUsage)
		fs.PrintDefaults()
		fmt.Fprint(stderr, importExamples)
	}
	var sf storeFlags
	sf.register(fs)
	repo := fs.String("repo", "", "repository: owner/repo (github), group/project (gitlab), workspace/repo (bitbucket), organization/project/repo (azure-devops)")
	instance := fs.String("instance", "", "site URL for servicenow (https://<name>.service-now.com) and jira (https://<site>.atlassian.net)")
	project := fs.String("project", "", "jira: only this project key")
	since := fs.String("since", "90d", "how far back to read: a date (2026-01-01), an RFC 3339 time, or a duration back from now (90d, 720h)")
	tokenEnv := fs.String("token-env", "", "environment variable holding the token (default per tool: GITHUB_TOKEN, GITLAB_TOKEN, BITBUCKET_TOKEN, AZURE_DEVOPS_PAT, JIRA_API_TOKEN)")
	username := fs.String("username", "", "user for basic auth: jira e-mail (with the API token), servicenow user, bitbucket user (with an app password)")
	passwordEnv := fs.String("password-env", "", "environment variable holding the password for --username (default SERVICENOW_PASSWORD for servicenow, HELIX_PASSWORD for bmchelix, CHERWELL_PASSWORD for cherwell, BITBUCKET_APP_PASSWORD for bitbucket)")
	clientID := fs.String("client-id", "", "servicenow: OAuth client id (Application Registry) instead of basic auth; cherwell: the REST API client key (required)")
	clientSecretEnv := fs.String("client-secret-env", "SERVICENOW_CLIENT_SECRET", "servicenow: environment variable holding the OAuth client secret")
	baseURL := fs.String("base-url", "", "API root of a self-hosted tool: https://<host>/api/v3 (GitHub Enterprise), https://<host>/api/v4 (GitLab), https://<host>/<collection> (Azure DevOps Server)")
	checkpointDir := fs.String("checkpoint-dir", "", "directory of the saved positions (default <data>/checkpoints)")
	job := fs.String("job", "", "name of this import's checkpoint (default <tool>-<repo or instance>; a polling job's name shares its position)")
	optionsFile := fs.String("options", "", "YAML file with the tool's options, as under a polling job's options: (deploy_workflows, repo_services, streams, time_zone, ...)")
	restart := fs.Bool("restart", false, "forget the saved position and read again from --since")
	batch := fs.Int("batch", 1000, "events per write to the store")
	noProgress := fs.Bool("no-progress", false, "no progress bar on stderr (it is drawn only when stderr is a terminal)")

	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "--help" || args[0] == "-help") {
			fs.Usage()
			return flag.ErrHelp
		}
		fs.Usage()
		return fmt.Errorf("import: name the tool first: throughline import <%s> [flags]", strings.Join(importTools, "|"))
	}
	tool := args[0]
	if tool == "azuredevops" {
		tool = poll.ToolAzureDevOps
	}
	if !slices.Contains(importTools, tool) {
		return fmt.Errorf("import: unknown tool %q (one of %s)", tool, strings.Join(importTools, ", "))
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("import: unexpected argument %q (flags go after the tool)", fs.Arg(0))
	}
	if *batch < 1 {
		return errors.New("--batch: must be at least 1")
	}

	j := poll.Job{Tool: tool, Repo: *repo, Project: *project, Instance: *instance, BaseURL: *baseURL}
	var err error
	if j.Since, err = poll.ParseSince(*since); err != nil {
		return fmt.Errorf("--since: %w", err)
	}
	credName, err := importCredentials(&j, *tokenEnv, *username, *passwordEnv, *clientID, *clientSecretEnv)
	if err != nil {
		return err
	}
	if *optionsFile != "" {
		b, err := os.ReadFile(*optionsFile)
		if err != nil {
			return fmt.Errorf("--options: %w", err)
		}
		var doc yaml.Node
		if err := yaml.Unmarshal(b, &doc); err != nil {
			return fmt.Errorf("--options %s: %v", *optionsFile, err)
		}
		if len(doc.Content) > 0 {
			j.Options = *doc.Content[0]
		}
	}
	j.Name = *job
	if j.Name == "" {
		j.Name = defaultJobName(j)
	}
	if err := j.ValidateTarget("import"); err != nil {
		return flagError(err, *optionsFile)
	}

	cfg, err := sf.load()
	if err != nil {
		return err
	}
	log, err := sf.logger(stderr)
	if err != nil {
		return err
	}
	imp, err := sources.Build(j, sources.Options{Logger: log, CredentialName: credName, Key: "import"})
	if err != nil {
		return flagError(err, *optionsFile)
	}
	dir := *checkpointDir
	if dir == "" {
		dir = filepath.Join(cfg.Data, "checkpoints")
	}
	cps, err := poll.OpenCheckpoints(dir)
	if err != nil {
		return fmt.Errorf("--checkpoint-dir: %w", err)
	}
	if *restart {
		if err := cps.Reset(j.Name); err != nil {
			return fmt.Errorf("--restart: %w", err)
		}
	}
	cp, err := cps.Open(j.Name)
	if err != nil {
		return err
	}

	st, err := app.OpenStore(cfg)
	if err != nil {
		return err
	}
	defer st.Engine().Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	es := eventstore.New(st)
	var written int64
	sink := func(ctx context.Context, evs []ingest.Event) error {
		for start := 0; start < len(evs); start += *batch {
			chunk := evs[start:min(start+*batch, len(evs))]
			if err := es.Load(ctx, chunk); err != nil {
				return err
			}
			written += int64(len(chunk))
		}
		return nil
	}

	req := poll.Request{Job: j.Name, Since: j.Since.Time(time.Now()), Overlap: sources.DefaultOverlap(imp, time.Hour), Logger: log}
	if j.Overlap != 0 {
		req.Overlap = time.Duration(j.Overlap)
	}
	var bar *poll.Bar
	if !*noProgress && isTerminal(stderr) {
		bar = poll.NewBar(stderr, poll.BarOptions{})
		req.Progress = bar
	}
	start := time.Now()
	err = imp.Import(ctx, req, sink, cp)
	if bar != nil {
		bar.Finish()
	}
	what := importTarget(j)
	if err != nil {
		if ctx.Err() != nil {
			fmt.Fprintf(stdout, "interrupted after %d events from %s %s; run the same command again to continue from %s\n",
				written, tool, what, cps.Path(j.Name))
		}
		return err
	}
	fmt.Fprintf(stdout, "imported %d events from %s %s in %s (checkpoint %s)\n",
		written, tool, what, time.Since(start).Round(time.Second), cps.Path(j.Name))
	return nil
}

// importCredentials fills the job's credentials from the environment and
// returns how to name them in errors. Values never come from flags.
func importCredentials(j *poll.Job, tokenEnv, username, passwordEnv, clientID, clientSecretEnv string) (string, error) {
	env := func(flagName, name string, required bool) (string, error) {
		v, ok := os.LookupEnv(name)
		if !ok || v == "" {
			if required {
				return "", fmt.Errorf("%s: environment variable %s is not set", flagName, name)
			}
			return "", nil
		}
		return v, nil
	}
	var err error
	switch {
	case j.Tool == poll.ToolCherwell:
		if clientID == "" {
			return "", errors.New("--client-id: required for cherwell (the REST API client key, from CSM Administrator: Security > Edit REST API client settings)")
		}
		if username == "" {
			return "", errors.New("--username: required for cherwell (a Cherwell user allowed to use the REST API)")
		}
		if passwordEnv == "" {
			passwordEnv = "CHERWELL_PASSWORD"
		}
		j.Credentials.ClientID, j.Credentials.Username = clientID, username
		if j.Credentials.Password, err = env("--password-env", passwordEnv, true); err != nil {
			return "", err
		}
		return "$" + passwordEnv + " (--password-env)", nil
	case j.Tool == poll.ToolServiceNow && clientID != "":
		j.Credentials.ClientID = clientID
		if j.Credentials.ClientSecret, err = env("--client-secret-env", clientSecretEnv, true); err != nil {
			return "", err
		}
		if username != "" {
			if passwordEnv == "" {
				passwordEnv = "SERVICENOW_PASSWORD"
			}
			j.Credentials.Username = username
			if j.Credentials.Password, err = env("--password-env", passwordEnv, true); err != nil {
				return "", err
			}
			return "$" + clientSecretEnv + " and $" + passwordEnv, nil
		}
		return "$" + clientSecretEnv + " (--client-secret-env)", nil
	case j.Tool == poll.ToolServiceNow || j.Tool == poll.ToolHelix || (j.Tool == poll.ToolBitbucket && username != ""):
		if passwordEnv == "" {
			passwordEnv = map[string]string{poll.ToolServiceNow: "SERVICENOW_PASSWORD", poll.ToolBitbucket: "BITBUCKET_APP_PASSWORD", poll.ToolHelix: "HELIX_PASSWORD"}[j.Tool]
		}
		if username == "" && j.Tool == poll.ToolHelix {
			return "", errors.New("--username: required for bmchelix (a Helix user allowed to use the REST API)")
		}
		if username == "" {
			return "", errors.New("--username: required for servicenow basic auth (or --client-id for OAuth)")
		}
		j.Credentials.Username = username
		if j.Credentials.Password, err = env("--password-env", passwordEnv, true); err != nil {
			return "", err
		}
		return "$" + passwordEnv + " (--password-env)", nil
	}
	name := tokenEnv
	if name == "" {
		name = defaultTokenEnv[j.Tool]
	}
	// GitHub reads public repositories without a token (at 60 requests an hour).
	required := j.Tool != poll.ToolGitHub || tokenEnv != ""
	if j.Credentials.Token, err = env("--token-env", name, required); err != nil {
		return "", err
	}
	j.Credentials.Username = username
	return "$" + name + " (--token-env)", nil
}

// flagError names flags instead of the job's configuration keys.
func flagError(err error, optionsFile string) error {
	msg := err.Error()
	for key, flagName := range map[string]string{
		"import.repo": "--repo", "import.instance": "--instance", "import.project": "--project",
		"import.base_url": "--base-url", "import.since": "--since", "import.credentials.token_url": "--instance",
		"import.credentials.token": "--token-env", "import.credentials.password": "--password-env",
		"import.credentials.client_secret": "--client-secret-env",
		"import.credentials.client_id":     "--client-id",
		"import.options":                   "--options " + optionsFile,
	} {
		if strings.HasPrefix(msg, key) {
			return errors.New(flagName + strings.TrimPrefix(msg, key))
		}
	}
	return err
}

// defaultJobName names a checkpoint after the tool and what it reads.
func defaultJobName(j poll.Job) string {
	name := j.Tool + "-" + importTarget(j)
	var b strings.Builder
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

func importTarget(j poll.Job) string {
	if j.Repo != "" {
		return j.Repo
	}
	if u, err := url.Parse(j.Instance); err == nil && u.Host != "" {
		if j.Project != "" {
			return u.Host + "-" + j.Project
		}
		return u.Host
	}
	return j.Instance
}

// isTerminal reports whether w is a terminal: a progress bar redrawn in
// place with carriage returns is noise in a log file or a pipe.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
