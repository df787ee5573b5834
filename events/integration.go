package events

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/stepwise-dev/stepwise/integrations"
	"github.com/stepwise-dev/stepwise/jsonv"
)

// PutEventsResource is the Step Functions resource of the events:putEvents integration.
const PutEventsResource = "arn:aws:states:::events:putEvents"

// PutEventsTask is the Step Functions integration arn:aws:states:::events:putEvents:
// the task's Entries are put on the default bus (Detail may be an object, which Step
// Functions serialises, or a string). A failed entry fails the task with
// EventBridge.FailedEntry, the reply as its cause. Register it for PutEventsResource.
func (s *Service) PutEventsTask() integrations.Handler {
	return integrations.HandlerFunc(func(ctx context.Context, req *integrations.Request) (any, error) {
		var in struct {
			Entries []struct {
				Detail       json.RawMessage `json:"Detail"`
				DetailType   string          `json:"DetailType"`
				Source       string          `json:"Source"`
				EventBusName string          `json:"EventBusName"`
				Resources    []string        `json:"Resources"`
				TraceHeader  string          `json:"TraceHeader"`
			} `json:"Entries"`
		}
		dec := json.NewDecoder(strings.NewReader(jsonv.String(req.Input)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			return nil, &integrations.ParametersError{Parameters: req.Input, Reason: err.Error()}
		}
		put := &PutEventsInput{}
		for _, e := range in.Entries {
			entry := PutEventsEntry{Source: e.Source, DetailType: e.DetailType, EventBusName: e.EventBusName,
				Resources: e.Resources, TraceHeader: e.TraceHeader}
			if len(e.Detail) > 0 && string(e.Detail) != "null" {
				text := string(e.Detail)
				var str string
				if e.Detail[0] == '"' && json.Unmarshal(e.Detail, &str) == nil {
					text = str
				}
				entry.Detail = &text
			}
			put.Entries = append(put.Entries, entry)
		}
		out, err := s.PutEvents(ctx, put)
		if err != nil {
			return nil, &integrations.TaskError{Name: "EventBridge.EventBridgeException", Cause: err.Error()}
		}
		// Entries before FailedEntryCount, as Step Functions shows the reply.
		reply := struct {
			Entries          []PutEventsResultEntry `json:"Entries"`
			FailedEntryCount int                    `json:"FailedEntryCount"`
		}{out.Entries, out.FailedEntryCount}
		b, _ := marshal(reply)
		v, err := jsonv.DecodeString(string(b))
		if err != nil {
			return nil, fmt.Errorf("putEvents reply: %w", err)
		}
		if out.FailedEntryCount > 0 {
			return nil, &integrations.TaskError{Name: "EventBridge.FailedEntry", Cause: string(b)}
		}
		return v, nil
	})
}
