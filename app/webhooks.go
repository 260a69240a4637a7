package app

import (
	"github.com/throughline/throughline/config"
	"github.com/throughline/throughline/ingest"
)

// Webhooks builds the configured webhook receivers by source name, and the
// custom mappings by name.
func Webhooks(cfg *config.Config) (map[string]ingest.Webhook, map[string]ingest.Webhook, error) {
	return cfg.Sources.Webhooks()
}
