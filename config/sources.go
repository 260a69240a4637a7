package config

import (
	"fmt"
	"strings"

	"github.com/throughline/throughline/ingest"
	"github.com/throughline/throughline/ingest/alertmanager"
	"github.com/throughline/throughline/ingest/argocd"
	"github.com/throughline/throughline/ingest/azureboards"
	"github.com/throughline/throughline/ingest/azuredevops"
	"github.com/throughline/throughline/ingest/bitbucket"
	"github.com/throughline/throughline/ingest/cdevents"
	"github.com/throughline/throughline/ingest/cloudbees"
	"github.com/throughline/throughline/ingest/digitalai"
	"github.com/throughline/throughline/ingest/github"
	"github.com/throughline/throughline/ingest/gitlab"
	"github.com/throughline/throughline/ingest/jenkins"
	"github.com/throughline/throughline/ingest/jira"
	"github.com/throughline/throughline/ingest/mapping"
	"github.com/throughline/throughline/ingest/opsgenie"
	"github.com/throughline/throughline/ingest/pagerduty"
	"github.com/throughline/throughline/ingest/servicenow"
)

// Sources configures the native webhooks, one key per tool; a tool that is
// not listed is not served. `github: {}` serves GitHub with defaults (and
// without signature checks: set a secret). Custom holds declarative
// mappings served at /webhooks/custom/{name}.
type Sources struct {
	GitHub       *github.Options       `yaml:"github"`
	GitLab       *gitlab.Options       `yaml:"gitlab"`
	Bitbucket    *bitbucket.Options    `yaml:"bitbucket"`
	AzureDevOps  *azuredevops.Options  `yaml:"azuredevops"`
	Jenkins      *jenkins.Options      `yaml:"jenkins"`
	ArgoCD       *argocd.Options       `yaml:"argocd"`
	CloudBees    *cloudbees.Options    `yaml:"cloudbees"`
	DigitalAI    *digitalai.Options    `yaml:"digitalai"`
	CDEvents     *cdevents.Options     `yaml:"cdevents"`
	ServiceNow   *servicenow.Options   `yaml:"servicenow"`
	PagerDuty    *pagerduty.Options    `yaml:"pagerduty"`
	Opsgenie     *opsgenie.Options     `yaml:"opsgenie"`
	Alertmanager *alertmanager.Options `yaml:"alertmanager"`
	Jira         *jira.Options         `yaml:"jira"`
	AzureBoards  *azureboards.Options  `yaml:"azureboards"`
	Custom       mapping.Mappings      `yaml:"custom"`
}

// Webhooks builds every configured webhook, keyed by source name, and the
// custom mappings keyed by mapping name. Errors name the key.
func (s Sources) Webhooks() (map[string]ingest.Webhook, map[string]ingest.Webhook, error) {
	out := map[string]ingest.Webhook{}
	add := func(key string, wh ingest.Webhook, err error) error {
		if err != nil {
			return fmt.Errorf("sources.%s: %s", key, strings.TrimPrefix(err.Error(), key+": "))
		}
		out[wh.Source()] = wh
		return nil
	}
	type builder struct {
		key   string
		set   bool
		build func() (ingest.Webhook, error)
	}
	builders := []builder{
		{"github", s.GitHub != nil, func() (ingest.Webhook, error) { return github.New(*s.GitHub) }},
		{"gitlab", s.GitLab != nil, func() (ingest.Webhook, error) { return gitlab.New(*s.GitLab) }},
		{"bitbucket", s.Bitbucket != nil, func() (ingest.Webhook, error) { return bitbucket.New(*s.Bitbucket) }},
		{"azuredevops", s.AzureDevOps != nil, func() (ingest.Webhook, error) { return azuredevops.New(*s.AzureDevOps) }},
		{"jenkins", s.Jenkins != nil, func() (ingest.Webhook, error) { return jenkins.New(*s.Jenkins) }},
		{"argocd", s.ArgoCD != nil, func() (ingest.Webhook, error) { return argocd.New(*s.ArgoCD) }},
		{"cloudbees", s.CloudBees != nil, func() (ingest.Webhook, error) { return cloudbees.New(*s.CloudBees) }},
		{"digitalai", s.DigitalAI != nil, func() (ingest.Webhook, error) { return digitalai.New(*s.DigitalAI) }},
		{"cdevents", s.CDEvents != nil, func() (ingest.Webhook, error) { return cdevents.New(*s.CDEvents) }},
		{"servicenow", s.ServiceNow != nil, func() (ingest.Webhook, error) { return servicenow.New(*s.ServiceNow) }},
		{"pagerduty", s.PagerDuty != nil, func() (ingest.Webhook, error) { return pagerduty.New(*s.PagerDuty) }},
		{"opsgenie", s.Opsgenie != nil, func() (ingest.Webhook, error) { return opsgenie.New(*s.Opsgenie) }},
		{"alertmanager", s.Alertmanager != nil, func() (ingest.Webhook, error) { return alertmanager.New(*s.Alertmanager) }},
		{"jira", s.Jira != nil, func() (ingest.Webhook, error) { return jira.New(*s.Jira) }},
		{"azureboards", s.AzureBoards != nil, func() (ingest.Webhook, error) { return azureboards.New(*s.AzureBoards) }},
	}
	for _, b := range builders {
		if !b.set {
			continue
		}
		wh, err := b.build()
		if err := add(b.key, wh, err); err != nil {
			return nil, nil, err
		}
	}
	custom := map[string]ingest.Webhook{}
	if len(s.Custom) > 0 {
		if err := s.Custom.Validate(); err != nil {
			return nil, nil, fmt.Errorf("sources.custom: %w", err)
		}
		for _, name := range sortedNames(s.Custom) {
			wh, err := mapping.New(mapping.Options{Name: name, Mapping: s.Custom[name]})
			if err != nil {
				return nil, nil, fmt.Errorf("sources.custom.%s: %w", name, err)
			}
			custom[name] = wh
		}
	}
	return out, custom, nil
}

func sortedNames(m mapping.Mappings) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
