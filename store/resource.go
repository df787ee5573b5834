package store

import "time"

// Resource is a named thing some service keeps as a JSON document: a SageMaker training
// or processing job, a model, an endpoint; later Lambda functions, SNS topics and
// EventBridge rules. Names are unique per Kind. Status is kept beside the document so
// lists can filter on it (e.g. the jobs still InProgress after a restart).
type Resource struct {
	Kind      string
	Name      string
	ARN       string
	Status    string
	Doc       []byte // JSON, kept byte for byte; nil when empty
	Version   int64  // 1 on create, +1 on every update
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ResourceCreateParams creates a resource; CreatedAt zero is the driver's now.
type ResourceCreateParams struct {
	Kind      string
	Name      string
	ARN       string
	Status    string
	Doc       []byte
	CreatedAt time.Time
}

// ResourceGetParams names a resource.
type ResourceGetParams struct {
	Kind string
	Name string
}

// ResourceUpdateParams replaces Status and Doc; UpdatedAt zero is the driver's now.
type ResourceUpdateParams struct {
	Kind      string
	Name      string
	Status    string
	Doc       []byte
	IfVersion int64 // 0: unconditional
	UpdatedAt time.Time
}

// ResourceListParams selects a page of resources of one kind.
type ResourceListParams struct {
	Kind         string
	Statuses     []string // empty: any
	NameContains string   // a literal, case-sensitive substring ("" matches all)
	After        string   // names strictly after this one
	Limit        int      // 0: no limit
}

// ResourceListResult is a page; Next is the After of the next page ("" at the end).
type ResourceListResult struct {
	Resources []*Resource
	Next      string
}

// ResourceDeleteParams names the resource to delete.
type ResourceDeleteParams struct {
	Kind string
	Name string
}
