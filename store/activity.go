package store

import "time"

// Activity is a named activity that workers poll.
type Activity struct {
	ARN          string
	Name         string
	CreationDate time.Time
}

// ActivityCreateParams creates an activity.
type ActivityCreateParams struct {
	ARN          string
	Name         string
	CreationDate time.Time
	Tags         []Tag
}

// ActivityGetByARNParams names an activity.
type ActivityGetByARNParams struct {
	ARN string
}

// ActivityListParams pages through activities.
type ActivityListParams struct {
	MaxResults int
	NextToken  string
}

// ActivityListResult is one page of activities.
type ActivityListResult struct {
	Activities []*Activity
	NextToken  string
}

// ActivityDeleteParams names the activity to delete.
type ActivityDeleteParams struct {
	ARN string
}
