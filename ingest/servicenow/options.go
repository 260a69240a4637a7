package servicenow

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Options configures the ServiceNow webhook. Secrets usually come from
// environment variables through the config package.
type Options struct {
	// Username and Password enable HTTP Basic auth (the REST Message's
	// basic auth profile).
	Username string `yaml:"username"`
	Password string `yaml:"password"`
	// Token enables "Authorization: Bearer <token>". At least one of Token
	// and Username/Password is required.
	Token string `yaml:"token"`
	// TimeZone is the IANA zone of plain date strings (default UTC).
	TimeZone string `yaml:"time_zone"`
	// Table is used when a record has no sys_class_name and its number has
	// no INC/CHG prefix: "incident" or "change_request".
	Table string `yaml:"table"`
	// CIServices maps a cmdb_ci or business_service display value (or
	// sys_id, when only the value is sent) to a service name. Unmapped
	// names are used as they are.
	CIServices map[string]string `yaml:"ci_services"`
	// DefaultService names the service of an incident that has neither a
	// cmdb_ci nor a business_service (default "unassigned").
	DefaultService string `yaml:"default_service"`
	// DeploymentField names a field holding the deployment id that caused
	// the incident or implemented the change (for example u_deployment).
	DeploymentField string `yaml:"deployment_field"`
	// AutomationUsers are resolved_by users (user name, display name or
	// sys_id) that are automation: their resolutions are automated.
	AutomationUsers []string `yaml:"automation_users"`
	// AutomatedCloseCodes are incident close codes that mean automation
	// resolved it (for example "Auto-resolved").
	AutomatedCloseCodes []string `yaml:"automated_close_codes"`
	// ApprovedTimeField is the change request field giving the approval
	// time (default approval_set; sys_updated_on when it is empty).
	ApprovedTimeField string `yaml:"approved_time_field"`
	// SuccessfulCloseCodes are change close codes with outcome success
	// (default ["successful"]); every other close code is a failure.
	SuccessfulCloseCodes []string `yaml:"successful_close_codes"`
}

// Validate checks the options, naming the offending key.
func (o Options) Validate() error {
	if o.Token == "" && o.Username == "" {
		return errors.New("servicenow.token: set token or username and password (ServiceNow webhooks must authenticate)")
	}
	if o.Username != "" && o.Password == "" {
		return errors.New("servicenow.password: required with username")
	}
	if o.Password != "" && o.Username == "" {
		return errors.New("servicenow.username: required with password")
	}
	if o.TimeZone != "" {
		if _, err := time.LoadLocation(o.TimeZone); err != nil {
			return fmt.Errorf("servicenow.time_zone: unknown zone %q", o.TimeZone)
		}
	}
	switch o.Table {
	case "", tableIncident, tableChange:
	default:
		return fmt.Errorf("servicenow.table: must be incident or change_request, not %q", o.Table)
	}
	for k, v := range o.CIServices {
		if strings.TrimSpace(k) == "" || strings.TrimSpace(v) == "" {
			return fmt.Errorf("servicenow.ci_services: empty name in %q: %q", k, v)
		}
	}
	return nil
}

func (o Options) withDefaults() Options {
	if o.TimeZone == "" {
		o.TimeZone = "UTC"
	}
	if o.DefaultService == "" {
		o.DefaultService = "unassigned"
	}
	if o.ApprovedTimeField == "" {
		o.ApprovedTimeField = "approval_set"
	}
	if len(o.SuccessfulCloseCodes) == 0 {
		o.SuccessfulCloseCodes = []string{"successful"}
	}
	return o
}
