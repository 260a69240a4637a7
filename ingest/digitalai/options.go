package digitalai

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Options configure the Digital.ai Release webhook. The zero value accepts
// every request unauthenticated and treats only releases with a
// deploymentEnvironment variable as deployments.
type Options struct {
	// Token is a shared secret expected in X-Throughline-Token.
	Token string `yaml:"token"`
	// Username and Password, when set, are accepted as HTTP basic auth
	// instead of the token. Load secrets from environment variables.
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// DeployTemplates are regular expressions matched against the whole
	// release title; matching releases are deployments.
	DeployTemplates []string `yaml:"deploy_templates"`
	// ServiceVariable, EnvironmentVariable and CommitVariable name the
	// release variables read. Defaults service, deploymentEnvironment, commit.
	ServiceVariable     string `yaml:"service_variable"`
	EnvironmentVariable string `yaml:"environment_variable"`
	CommitVariable      string `yaml:"commit_variable"`
	// PhaseEnvironments maps a phase title ("PROD") to an environment, for
	// phase notifications of releases without the environment variable.
	PhaseEnvironments map[string]string `yaml:"phase_environments"`
	// DefaultService is used when the release has no service variable.
	DefaultService string `yaml:"default_service"`
}

// Validate reports the first bad option, naming its YAML key.
func (o Options) Validate() error {
	if (o.Username == "") != (o.Password == "") {
		return errors.New("username: username and password must be set together")
	}
	if _, err := compile(o.DeployTemplates); err != nil {
		return err
	}
	for key, v := range map[string]string{
		"service_variable": o.ServiceVariable, "environment_variable": o.EnvironmentVariable,
		"commit_variable": o.CommitVariable, "default_service": o.DefaultService, "token": o.Token,
	} {
		if v != "" && strings.TrimSpace(v) != v {
			return fmt.Errorf("%s: must not start or end with white space", key)
		}
	}
	for phase, env := range o.PhaseEnvironments {
		if strings.TrimSpace(phase) == "" {
			return errors.New("phase_environments: phase title must not be empty")
		}
		if strings.TrimSpace(env) == "" {
			return fmt.Errorf("phase_environments.%s: environment must not be empty", phase)
		}
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.ServiceVariable == "" {
		o.ServiceVariable = "service"
	}
	if o.EnvironmentVariable == "" {
		o.EnvironmentVariable = "deploymentEnvironment"
	}
	if o.CommitVariable == "" {
		o.CommitVariable = "commit"
	}
	return o
}

func compile(patterns []string) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, 0, len(patterns))
	for i, p := range patterns {
		if strings.TrimSpace(p) == "" {
			return nil, fmt.Errorf("deploy_templates[%d]: must not be empty", i)
		}
		re, err := regexp.Compile(`^(?:` + p + `)$`)
		if err != nil {
			return nil, fmt.Errorf("deploy_templates[%d]: %q is not a regular expression: %v", i, p, err)
		}
		out = append(out, re)
	}
	return out, nil
}
