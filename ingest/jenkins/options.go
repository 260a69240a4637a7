package jenkins

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// Options configure the Jenkins webhook. The zero value accepts every
// request unauthenticated and reports every job as builds.
type Options struct {
	// Token is the shared secret. When set, a request must carry
	// "X-Throughline-Token: <token>" or "X-Throughline-Signature:
	// sha256=<hex HMAC-SHA256 of the body under the token>". Load it from an
	// environment variable, not the YAML file.
	Token string `yaml:"token"`
	// DeployJobs are regular expressions matched against the whole job full
	// name ("folder/deploy-checkout"); a matching job's builds are
	// deployments rather than builds.
	DeployJobs []string `yaml:"deploy_jobs"`
	// EnvironmentParameter is the build parameter that names a deployment's
	// environment. Default "ENVIRONMENT".
	EnvironmentParameter string `yaml:"environment_parameter"`
	// DefaultEnvironment is the environment of deployments whose build has
	// no such parameter. Without it such deployments are rejected.
	DefaultEnvironment string `yaml:"default_environment"`
	// JobServices maps a job full name (or short name) to its service;
	// unmapped jobs are the service named like the job.
	JobServices map[string]string `yaml:"job_services"`
}

// Validate reports the first bad option, naming its YAML key.
func (o Options) Validate() error {
	if o.Token != "" && strings.TrimSpace(o.Token) != o.Token {
		return errors.New("token: must not start or end with white space")
	}
	if _, err := compile(o.DeployJobs); err != nil {
		return err
	}
	if o.EnvironmentParameter != "" && strings.TrimSpace(o.EnvironmentParameter) == "" {
		return errors.New("environment_parameter: must not be blank")
	}
	if o.DefaultEnvironment != "" && strings.TrimSpace(o.DefaultEnvironment) == "" {
		return errors.New("default_environment: must not be blank")
	}
	for job, svc := range o.JobServices {
		if strings.TrimSpace(job) == "" {
			return errors.New("job_services: job name must not be empty")
		}
		if strings.TrimSpace(svc) == "" {
			return fmt.Errorf("job_services.%s: service must not be empty", job)
		}
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.EnvironmentParameter == "" {
		o.EnvironmentParameter = "ENVIRONMENT"
	}
	return o
}

// compile anchors and compiles the deploy_jobs patterns.
func compile(patterns []string) ([]*regexp.Regexp, error) {
	out := make([]*regexp.Regexp, 0, len(patterns))
	for i, p := range patterns {
		if strings.TrimSpace(p) == "" {
			return nil, fmt.Errorf("deploy_jobs[%d]: must not be empty", i)
		}
		re, err := regexp.Compile(`^(?:` + p + `)$`)
		if err != nil {
			return nil, fmt.Errorf("deploy_jobs[%d]: %q is not a regular expression: %v", i, p, err)
		}
		out = append(out, re)
	}
	return out, nil
}
