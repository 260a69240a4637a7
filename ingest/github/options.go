package github

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Options configure the GitHub webhook. The zero value is usable: no
// signature check, no deploy workflows, incidents labelled "incident".
type Options struct {
	// Secret is the webhook secret; when set, X-Hub-Signature-256 must
	// match. Load it from an environment variable, not the YAML file.
	Secret string `yaml:"secret"`
	// DeployWorkflows are patterns for workflow names (or workflow file
	// paths) whose completed runs are deployments rather than builds. A
	// pattern is a glob ("deploy*", "?" is one character), matched against
	// the whole name case-insensitively, or a regular expression written
	// between slashes ("/^deploy-(prod|eu)$/").
	DeployWorkflows []string `yaml:"deploy_workflows"`
	// DeployEnvironment is the environment of deployments inferred from a
	// workflow run or a release, which carry none. Default "production".
	DeployEnvironment string `yaml:"deploy_environment"`
	// ProductionEnvironments are the environment names that count as
	// production (case-insensitive). A deployment environment that matches
	// one is written with this spelling ("Production" becomes "production"),
	// and incidents, which GitHub issues do not place anywhere, get the
	// first. Default ["production", "prod"].
	ProductionEnvironments []string `yaml:"production_environments"`
	// IncidentLabels are the issue labels (case-insensitive) that make an
	// issue an incident. Default ["incident"].
	IncidentLabels []string `yaml:"incident_labels"`
	// RepoServices maps a repository full name ("owner/repo") to its
	// service. Unmapped repositories are the service named like the repo
	// without its owner.
	RepoServices map[string]string `yaml:"repo_services"`
	// ReleasesAreDeployments makes a published (non-pre-)release a
	// successful deployment to DeployEnvironment. Off by default: a release
	// is a tag with notes, and most teams deploy it by other means that
	// report their own deployments.
	ReleasesAreDeployments bool `yaml:"releases_are_deployments"`
	// WorkItemPattern is a regular expression whose first match in a commit
	// message links the commit to a work item (links.work_item), for time
	// to market. Default: Jira-style keys such as PROJ-123. "-" disables it.
	WorkItemPattern string `yaml:"work_item_pattern"`
}

// DefaultWorkItemPattern matches Jira-style issue keys.
const DefaultWorkItemPattern = `\b[A-Z][A-Z0-9]{1,9}-[0-9]+\b`

// Validate reports the first bad option, naming its YAML key.
func (o Options) Validate() error {
	if _, err := compilePatterns("deploy_workflows", o.DeployWorkflows); err != nil {
		return err
	}
	if o.WorkItemPattern != "" && o.WorkItemPattern != "-" {
		if _, err := regexp.Compile(o.WorkItemPattern); err != nil {
			return fmt.Errorf("work_item_pattern: %v", err)
		}
	}
	if o.DeployEnvironment != "" && strings.TrimSpace(o.DeployEnvironment) == "" {
		return errors.New("deploy_environment: must not be blank")
	}
	for i, e := range o.ProductionEnvironments {
		if strings.TrimSpace(e) == "" {
			return fmt.Errorf("production_environments[%d]: must not be empty", i)
		}
	}
	for i, l := range o.IncidentLabels {
		if strings.TrimSpace(l) == "" {
			return fmt.Errorf("incident_labels[%d]: must not be empty", i)
		}
	}
	for repo, svc := range o.RepoServices {
		if strings.Count(repo, "/") < 1 || strings.TrimSpace(repo) != repo {
			return fmt.Errorf("repo_services: key %q must be a repository full name like owner/repo", repo)
		}
		if strings.TrimSpace(svc) == "" {
			return fmt.Errorf("repo_services.%s: service must not be empty", repo)
		}
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.DeployEnvironment == "" {
		o.DeployEnvironment = "production"
	}
	if len(o.ProductionEnvironments) == 0 {
		o.ProductionEnvironments = []string{"production", "prod"}
	}
	if len(o.IncidentLabels) == 0 {
		o.IncidentLabels = []string{"incident"}
	}
	return o
}

// compilePatterns turns globs and /regexps/ into anchored, case-insensitive
// regular expressions, naming the offending entry in any error.
func compilePatterns(key string, pats []string) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, 0, len(pats))
	for i, p := range pats {
		if strings.TrimSpace(p) == "" {
			return nil, fmt.Errorf("%s[%d]: must not be empty", key, i)
		}
		var expr string
		if len(p) >= 2 && strings.HasPrefix(p, "/") && strings.HasSuffix(p, "/") {
			expr = "(?i)" + p[1:len(p)-1]
		} else {
			var b strings.Builder
			b.WriteString("(?i)^")
			for _, r := range p {
				switch r {
				case '*':
					b.WriteString(".*")
				case '?':
					b.WriteString(".")
				default:
					b.WriteString(regexp.QuoteMeta(string(r)))
				}
			}
			b.WriteString("$")
			expr = b.String()
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %q is not a valid pattern: %v", key, i, p, err)
		}
		out = append(out, re)
	}
	return out, nil
}

func matchAny(res []*regexp.Regexp, names ...string) bool {
	for _, re := range res {
		for _, n := range names {
			if n != "" && re.MatchString(n) {
				return true
			}
		}
	}
	return false
}
