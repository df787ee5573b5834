package store

import (
	"github.com/stepwise-dev/stepwise/internal/uuid"
	"time"
)

// StateMachineType is STANDARD or EXPRESS, persisted as the string.
type StateMachineType string

// State machine types.
const (
	StateMachineTypeStandard StateMachineType = "STANDARD"
	StateMachineTypeExpress  StateMachineType = "EXPRESS"
)

// Valid reports whether t is a known type.
func (t StateMachineType) Valid() bool {
	switch t {
	case StateMachineTypeStandard, StateMachineTypeExpress:
		return true
	}
	return false
}

// StateMachineStatus is ACTIVE or DELETING.
type StateMachineStatus string

// State machine statuses.
const (
	StateMachineStatusActive   StateMachineStatus = "ACTIVE"
	StateMachineStatusDeleting StateMachineStatus = "DELETING"
)

// Valid reports whether s is a known status.
func (s StateMachineStatus) Valid() bool {
	switch s {
	case StateMachineStatusActive, StateMachineStatusDeleting:
		return true
	}
	return false
}

// StateMachineConfig is the part of a state machine that a revision freezes. JSON-valued
// configurations are kept as the JSON text the API received ("" when absent).
type StateMachineConfig struct {
	Type                    StateMachineType
	Definition              string
	RoleARN                 string
	LoggingConfiguration    string
	TracingConfiguration    string
	EncryptionConfiguration string
}

// StateMachine is a stored state machine at its current revision.
type StateMachine struct {
	ARN  string
	Name string
	StateMachineConfig
	Description  string
	Status       StateMachineStatus
	CreationDate time.Time
	// UpdateDate is when the last revision was made (the creation date at first).
	UpdateDate time.Time
	RevisionID string
}

// StateMachineRevision is the configuration of a state machine at one revision.
type StateMachineRevision struct {
	StateMachineARN string
	RevisionID      string
	StateMachineConfig
	CreationDate time.Time
}

// StateMachineVersion is a published, immutable version.
type StateMachineVersion struct {
	ARN             string
	StateMachineARN string
	Version         int
	Description     string
	RevisionID      string
	StateMachineConfig
	CreationDate time.Time
}

// AliasRoute sends Weight percent of an alias's executions to a version.
type AliasRoute struct {
	VersionARN string
	Weight     int
}

// StateMachineAlias routes executions to one or two versions.
type StateMachineAlias struct {
	ARN             string
	StateMachineARN string
	Name            string
	Description     string
	Routes          []AliasRoute
	CreationDate    time.Time
	UpdateDate      time.Time
}

// Tag is one key/value tag.
type Tag struct {
	Key   string
	Value string
}

// StateMachineCreateParams creates a state machine.
type StateMachineCreateParams struct {
	ARN  string
	Name string
	StateMachineConfig
	Description string
	// RevisionID of the first revision; the store makes one when empty.
	RevisionID   string
	CreationDate time.Time
	Tags         []Tag
	// Publish also publishes version 1 with VersionDescription.
	Publish            bool
	VersionDescription string
}

// StateMachineGetByARNParams names a state machine.
type StateMachineGetByARNParams struct {
	ARN string
}

// StateMachineListParams pages through state machines.
type StateMachineListParams struct {
	MaxResults int
	NextToken  string
}

// StateMachineListResult is one page; NextToken is "" on the last.
type StateMachineListResult struct {
	StateMachines []*StateMachine
	NextToken     string
}

// StateMachineUpdateParams changes a state machine; nil fields stay as they are. A change
// to any configuration field makes a new revision.
type StateMachineUpdateParams struct {
	ARN                     string
	Definition              *string
	RoleARN                 *string
	LoggingConfiguration    *string
	TracingConfiguration    *string
	EncryptionConfiguration *string
	Description             *string
	// RevisionID of the new revision if one is made; the store makes one when empty.
	RevisionID string
	UpdateDate time.Time
	// Publish also publishes the result as a version (see StateMachineVersionPublish).
	Publish            bool
	VersionDescription string
}

// StateMachineDeleteParams names the state machine to delete.
type StateMachineDeleteParams struct {
	ARN string
}

// StateMachineRevisionGetParams names one revision of a state machine.
type StateMachineRevisionGetParams struct {
	StateMachineARN string
	RevisionID      string
}

// StateMachineVersionPublishParams publishes a version. The version's ARN is the state
// machine ARN followed by ":" and the number.
type StateMachineVersionPublishParams struct {
	StateMachineARN string
	Description     string
	// RevisionID, when set, must be the state machine's current revision.
	RevisionID   string
	CreationDate time.Time
}

// StateMachineVersionGetByARNParams names a version.
type StateMachineVersionGetByARNParams struct {
	ARN string
}

// StateMachineVersionListParams pages through a state machine's versions.
type StateMachineVersionListParams struct {
	StateMachineARN string
	MaxResults      int
	NextToken       string
}

// StateMachineVersionListResult is one page of versions.
type StateMachineVersionListResult struct {
	Versions  []*StateMachineVersion
	NextToken string
}

// StateMachineVersionDeleteParams names the version to delete.
type StateMachineVersionDeleteParams struct {
	ARN string
}

// StateMachineAliasCreateParams creates an alias.
type StateMachineAliasCreateParams struct {
	ARN             string
	StateMachineARN string
	Name            string
	Description     string
	Routes          []AliasRoute
	CreationDate    time.Time
}

// StateMachineAliasGetByARNParams names an alias.
type StateMachineAliasGetByARNParams struct {
	ARN string
}

// StateMachineAliasListParams pages through a state machine's aliases.
type StateMachineAliasListParams struct {
	StateMachineARN string
	MaxResults      int
	NextToken       string
}

// StateMachineAliasListResult is one page of aliases.
type StateMachineAliasListResult struct {
	Aliases   []*StateMachineAlias
	NextToken string
}

// StateMachineAliasUpdateParams changes an alias; nil fields stay.
type StateMachineAliasUpdateParams struct {
	ARN         string
	Description *string
	Routes      []AliasRoute // nil keeps the routes
	UpdateDate  time.Time
}

// StateMachineAliasDeleteParams names the alias to delete.
type StateMachineAliasDeleteParams struct {
	ARN string
}

// TagSetParams adds or replaces tags.
type TagSetParams struct {
	ResourceARN string
	Tags        []Tag
}

// TagDeleteParams removes tags by key.
type TagDeleteParams struct {
	ResourceARN string
	Keys        []string
}

// TagListParams names the resource whose tags to list.
type TagListParams struct {
	ResourceARN string
}

// NewRevisionID returns a fresh random revision id shaped like AWS's (a UUID).
func NewRevisionID() string { return uuid.New() }
