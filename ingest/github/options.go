package github

import (
	"fmt"
	"regexp"

	"github.com/throughline/throughline/ingest"
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
	if err := o.delivery().Validate("a repository full name like owner/repo"); err != nil {
		return err
	}
	if o.WorkItemPattern != "" && o.WorkItemPattern != "-" {
		if _, err := regexp.Compile(o.WorkItemPattern); err != nil {
			return fmt.Errorf("work_item_pattern: %v", err)
		}
	}
	return nil
}

// delivery is the part of o that every delivery webhook shares.
func (o Options) delivery() ingest.DeliveryOptions {
	return ingest.DeliveryOptions{
		DeployWorkflows:        o.DeployWorkflows,
		DeployEnvironment:      o.DeployEnvironment,
		ProductionEnvironments: o.ProductionEnvironments,
		IncidentLabels:         o.IncidentLabels,
		RepoServices:           o.RepoServices,
	}
}

func (o Options) withDefaults() Options {
	d := o.delivery().WithDefaults()
	o.DeployEnvironment, o.ProductionEnvironments, o.IncidentLabels = d.DeployEnvironment, d.ProductionEnvironments, d.IncidentLabels
	return o
}
