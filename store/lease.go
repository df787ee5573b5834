package store

import "time"

// LeaseClaimParams claims RUNNING executions for a node. Now decides which leases have
// expired; claimed leases last until Expires.
type LeaseClaimParams struct {
	Owner   string
	Now     time.Time
	Expires time.Time
	// Limit caps the claim; 0 means DefaultMaxResults.
	Limit int
}

// LeaseReleaseParams drops Owner's leases on the named executions.
type LeaseReleaseParams struct {
	Owner         string
	ExecutionARNs []string
}
