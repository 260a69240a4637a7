package cdevents

import (
	"errors"
	"strings"
)

// Options configure the CDEvents webhook. The zero value accepts every
// request unauthenticated, like the other webhooks without a secret.
type Options struct {
	// Secret is the shared secret. When set, a request must carry either
	// "Authorization: Bearer <secret>" or "X-Throughline-Signature:
	// sha256=<hex HMAC-SHA256 of the body under the secret>". Load it from
	// an environment variable, not the YAML file.
	Secret string `yaml:"secret"`
}

// Validate reports the first bad option, naming its YAML key.
func (o Options) Validate() error {
	if o.Secret != "" && strings.TrimSpace(o.Secret) != o.Secret {
		return errors.New("secret: must not start or end with white space")
	}
	return nil
}
