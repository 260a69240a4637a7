// Package azureboards turns Azure Boards service hook deliveries
// (workitem.created and workitem.updated, "Web Hooks" consumer, resource
// version 1.0) into work item events: created, then started or done when
// System.State moves into Options.StartedStates or Options.DoneStates.
//
// Authenticity: the service hook's HTTP Basic credentials. Azure DevOps puts
// its notification id only in the body, so the receiver's header-only
// DeliveryIDer is not implemented; ids derived from the work item id, the
// event and System.ChangedDate make re-deliveries idempotent.
//
// It verifies and decodes; it does not store events or call Azure DevOps.
package azureboards
