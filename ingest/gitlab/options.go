package gitlab

import "github.com/throughline/throughline/ingest"

// Options configure the GitLab webhook. The zero value is usable: no
// signature check, no deploy workflows, incidents labelled "incident".
type Options struct {
	// Secret is the webhook's secret token; when set, X-Gitlab-Token must
	// equal it. Load it from an environment variable, not the YAML file.
	Secret string `yaml:"secret"`
	// DeployWorkflows are patterns for pipeline names or refs whose finished
	// pipelines are deployments rather than builds. A
	// pattern is a glob ("deploy*", "?" is one character), matched against
	// the whole name case-insensitively, or a regular expression written
	// between slashes ("/^deploy-(prod|eu)$/").
	DeployWorkflows []string `yaml:"deploy_workflows"`
	// DeployEnvironment is the environment of deployments inferred from a
	// pipeline, which carries none. Default "production".
	DeployEnvironment string `yaml:"deploy_environment"`
	// ProductionEnvironments are the environment names that count as
	// production (case-insensitive). A deployment environment that matches
	// one is written with this spelling ("Production" becomes "production"),
	// and incidents, which GitLab issues do not place anywhere, get the
	// first. Default ["production", "prod"].
	ProductionEnvironments []string `yaml:"production_environments"`
	// IncidentLabels are the issue labels (case-insensitive) that make an
	// issue an incident; issues of GitLab's type "incident" always are.
	// Default ["incident"].
	IncidentLabels []string `yaml:"incident_labels"`
	// RepoServices maps a project path ("group/sub/project") to its
	// service. Unmapped projects are the service named like the last path
	// segment.
	RepoServices map[string]string `yaml:"repo_services"`
}

// Validate reports the first bad option, naming its YAML key.
func (o Options) Validate() error {
	return o.delivery().Validate("a project path like group/project")
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
