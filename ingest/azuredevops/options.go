package azuredevops

import (
	"errors"
	"fmt"
	"strings"

	"github.com/throughline/throughline/ingest"
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
	if err := o.delivery().Validate("a repository like project/repo"); err != nil {
		return err
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
