package azuredevops

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Options configure the Azure DevOps service hook receiver. The zero value
// is usable: no authentication, no deploy pipelines, incidents labelled
// "incident".
type Options struct {
	// Username and Password are the basic-authentication credentials set on
	// the service hook subscription; when either is set, both must match.
	// Load the password from an environment variable, not the YAML file.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// DeployWorkflows are patterns for build pipeline (definition) names
	// whose completed builds are deployments rather than builds. A pattern
	// is a glob ("deploy*", "?" is one character), matched against the whole
	// name case-insensitively, or a regular expression written between
	// slashes ("/^deploy-(prod|eu)$/"). Classic release pipelines report
	// deployments themselves and need no pattern.
	DeployWorkflows []string `yaml:"deploy_workflows"`
	// DeployEnvironment is the environment of deployments inferred from a
	// build, which carries none. Default "production".
	DeployEnvironment string `yaml:"deploy_environment"`
	// ProductionEnvironments are the environment names that count as
	// production (case-insensitive). A deployment environment (release
	// stage) that matches one is written with this spelling ("Production"
	// becomes "production"). Default ["production", "prod"].
	ProductionEnvironments []string `yaml:"production_environments"`
	// IncidentLabels is accepted for symmetry with the other delivery tools
	// and validated, but unused: work item events are not mapped here.
	IncidentLabels []string `yaml:"incident_labels"`
	// RepoServices maps a repository as "project/repo" to its service.
	// Unmapped repositories are the service named like the repo.
	RepoServices map[string]string `yaml:"repo_services"`
	// PipelineServices maps a release or build pipeline (definition) name
	// to its service, for deployments that name no repository. Unmapped
	// pipelines are the service named like the pipeline.
	PipelineServices map[string]string `yaml:"pipeline_services"`
}

// Validate reports the first bad option, naming its YAML key.
func (o Options) Validate() error {
	if _, err := compilePatterns("deploy_workflows", o.DeployWorkflows); err != nil {
		return err
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
			return fmt.Errorf("repo_services: key %q must be a repository like project/repo", repo)
		}
		if strings.TrimSpace(svc) == "" {
			return fmt.Errorf("repo_services.%s: service must not be empty", repo)
		}
	}
	for name, svc := range o.PipelineServices {
		if strings.TrimSpace(name) == "" || strings.TrimSpace(svc) == "" {
			return fmt.Errorf("pipeline_services.%s: pipeline name and service must not be empty", name)
		}
	}
	if o.Password != "" && o.Username == "" {
		return errors.New("username: is required when password is set")
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
