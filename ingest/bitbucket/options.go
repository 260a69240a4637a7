package bitbucket

import "github.com/throughline/throughline/ingest"

// Options configure the Bitbucket Cloud webhook. The zero value is usable: no
// signature check, no deploy workflows, incidents labelled "incident".
type Options struct {
	// Secret is the webhook secret; when set, X-Hub-Signature must
	// match. Load it from an environment variable, not the YAML file.
	Secret string `yaml:"secret"`
	// DeployWorkflows are patterns for commit status names or keys (a
	// Bitbucket Pipelines step or an outside build) whose finished statuses
	// are deployments rather than builds. A
	// pattern is a glob ("deploy*", "?" is one character), matched against
	// the whole name case-insensitively, or a regular expression written
	// between slashes ("/^deploy-(prod|eu)$/").
	DeployWorkflows []string `yaml:"deploy_workflows"`
	// DeployEnvironment is the environment of deployments inferred from a
	// commit status, which carries none. Default "production".
	DeployEnvironment string `yaml:"deploy_environment"`
	// ProductionEnvironments are the environment names that count as
	// production (case-insensitive). A deployment environment that matches
	// one is written with this spelling ("Production" becomes "production").
	// Default ["production", "prod"].
	ProductionEnvironments []string `yaml:"production_environments"`
	// IncidentLabels is accepted for symmetry with the other delivery
	// tools and validated, but unused: Bitbucket Cloud's issue tracker has
	// no labels, so no Bitbucket event is an incident.
	IncidentLabels []string `yaml:"incident_labels"`
	// RepoServices maps a repository full name ("owner/repo") to its
	// service. Unmapped repositories are the service named like the repo
	// without its owner.
	RepoServices map[string]string `yaml:"repo_services"`
}

// Validate reports the first bad option, naming its YAML key.
func (o Options) Validate() error {
	return o.delivery().Validate("a repository full name like owner/repo")
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
