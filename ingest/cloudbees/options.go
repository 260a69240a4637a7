package cloudbees

import (
	"errors"
	"fmt"
	"net/textproto"
	"strings"
)

// Options configure the CloudBees CD/RO webhook. The zero value accepts
// every request unauthenticated.
type Options struct {
	// Token is the shared secret expected in Header. Load it from an
	// environment variable, not the YAML file.
	Token string `yaml:"token"`
	// Header carries the token. Default "X-Throughline-Token".
	Header string `yaml:"header"`
	// PipelineServices maps a pipeline name to its service, for
	// notifications without applicationName.
	PipelineServices map[string]string `yaml:"pipeline_services"`
	// DefaultEnvironment is used when a notification has no environmentName.
	DefaultEnvironment string `yaml:"default_environment"`
}

// Validate reports the first bad option, naming its YAML key.
func (o Options) Validate() error {
	if o.Token != "" && strings.TrimSpace(o.Token) != o.Token {
		return errors.New("token: must not start or end with white space")
	}
	if o.Header != "" && (strings.ContainsAny(o.Header, " :\t\r\n") || textproto.CanonicalMIMEHeaderKey(o.Header) == "") {
		return fmt.Errorf("header: %q is not an HTTP header name", o.Header)
	}
	for p, s := range o.PipelineServices {
		if strings.TrimSpace(p) == "" {
			return errors.New("pipeline_services: pipeline name must not be empty")
		}
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("pipeline_services.%s: service must not be empty", p)
		}
	}
	if o.DefaultEnvironment != "" && strings.TrimSpace(o.DefaultEnvironment) == "" {
		return errors.New("default_environment: must not be blank")
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.Header == "" {
		o.Header = "X-Throughline-Token"
	}
	return o
}
