package argocd

import (
	"errors"
	"fmt"
	"strings"
)

// Options configure the Argo CD webhook. The zero value accepts every
// request unauthenticated and needs an "environment" label on every app.
type Options struct {
	// Token is the bearer token the webhook service sends in
	// "Authorization: Bearer <token>". Load it from an environment variable.
	Token string `yaml:"token"`
	// NamespaceEnvironments maps a destination namespace to its environment
	// ("checkout-prod": "production"). It wins over the app label.
	NamespaceEnvironments map[string]string `yaml:"namespace_environments"`
	// EnvironmentLabel is the Application label naming the environment.
	// Default "environment".
	EnvironmentLabel string `yaml:"environment_label"`
	// DefaultEnvironment is used when neither of the above names one.
	DefaultEnvironment string `yaml:"default_environment"`
}

// Validate reports the first bad option, naming its YAML key.
func (o Options) Validate() error {
	if o.Token != "" && strings.TrimSpace(o.Token) != o.Token {
		return errors.New("token: must not start or end with white space")
	}
	for ns, env := range o.NamespaceEnvironments {
		if strings.TrimSpace(ns) == "" {
			return errors.New("namespace_environments: namespace must not be empty")
		}
		if strings.TrimSpace(env) == "" {
			return fmt.Errorf("namespace_environments.%s: environment must not be empty", ns)
		}
	}
	if o.EnvironmentLabel != "" && strings.TrimSpace(o.EnvironmentLabel) == "" {
		return errors.New("environment_label: must not be blank")
	}
	if o.DefaultEnvironment != "" && strings.TrimSpace(o.DefaultEnvironment) == "" {
		return errors.New("default_environment: must not be blank")
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.EnvironmentLabel == "" {
		o.EnvironmentLabel = "environment"
	}
	return o
}
