package jira

import (
	"errors"
	"fmt"
	"strings"
)

// Options configures the Jira webhook.
type Options struct {
	// Secret verifies X-Hub-Signature (Jira Cloud admin webhooks).
	Secret string `yaml:"secret"`
	// Token is accepted as a bearer token, an X-Throughline-Token header or
	// a ?token= query parameter (see VerifyQuery).
	Token string `yaml:"token"`
	// IssueTypeKinds maps an issue type name (case-insensitive) to feature,
	// defect, risk or debt, over the defaults: Story, Feature, Epic, New
	// Feature, Improvement → feature; Bug, Defect → defect; Risk,
	// Vulnerability, Security → risk; Tech Debt, Technical Debt, Debt → debt.
	// Task and Sub-task have no default kind: they are as often chores as
	// features, so they count in velocity but in no distribution share until
	// mapped here.
	IssueTypeKinds map[string]string `yaml:"issue_type_kinds"`
	// IncidentIssueTypes become incident events (default ["Incident"]).
	IncidentIssueTypes []string `yaml:"incident_issue_types"`
	// ProjectServices maps a project key to a service; ComponentServices
	// maps a component name to a service (tried when the project is not
	// mapped). Incidents fall back to the project key.
	ProjectServices   map[string]string `yaml:"project_services"`
	ComponentServices map[string]string `yaml:"component_services"`
	// ProjectProducts maps a project key to a product.
	ProjectProducts map[string]string `yaml:"project_products"`
	// Priorities maps a Jira priority name (case-insensitive) to P1..P5 for
	// incidents, over the defaults Highest/Blocker P1, High/Critical P2,
	// Medium/Major P3, Low/Minor P4, Lowest/Trivial P5.
	Priorities map[string]string `yaml:"priorities"`
}

var defaultKinds = map[string]string{
	"story": "feature", "user story": "feature", "feature": "feature", "epic": "feature",
	"new feature": "feature", "improvement": "feature",
	"bug": "defect", "defect": "defect",
	"risk": "risk", "vulnerability": "risk", "security": "risk",
	"tech debt": "debt", "technical debt": "debt", "debt": "debt",
}

var defaultPriorities = map[string]string{
	"highest": "P1", "blocker": "P1", "high": "P2", "critical": "P2",
	"medium": "P3", "major": "P3", "low": "P4", "minor": "P4", "lowest": "P5", "trivial": "P5",
}

// Validate checks the options, naming the offending key.
func (o Options) Validate() error {
	if o.Secret == "" && o.Token == "" {
		return errors.New("jira.secret: set secret or token (Jira webhooks must authenticate)")
	}
	for t, k := range o.IssueTypeKinds {
		switch k {
		case "feature", "defect", "risk", "debt":
		default:
			return fmt.Errorf("jira.issue_type_kinds.%s: must be feature, defect, risk or debt, not %q", t, k)
		}
	}
	for n, p := range o.Priorities {
		if len(p) != 2 || p[0] != 'P' || p[1] < '1' || p[1] > '5' {
			return fmt.Errorf("jira.priorities.%s: must be P1..P5, not %q", n, p)
		}
	}
	for i, t := range o.IncidentIssueTypes {
		if strings.TrimSpace(t) == "" {
			return fmt.Errorf("jira.incident_issue_types[%d]: empty", i)
		}
	}
	return nil
}

func (o Options) withDefaults() Options {
	kinds := map[string]string{}
	for k, v := range defaultKinds {
		kinds[k] = v
	}
	for k, v := range o.IssueTypeKinds {
		kinds[strings.ToLower(k)] = v
	}
	o.IssueTypeKinds = kinds
	prios := map[string]string{}
	for k, v := range defaultPriorities {
		prios[k] = v
	}
	for k, v := range o.Priorities {
		prios[strings.ToLower(k)] = v
	}
	o.Priorities = prios
	if len(o.IncidentIssueTypes) == 0 {
		o.IncidentIssueTypes = []string{"Incident"}
	}
	return o
}
