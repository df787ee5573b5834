package sns

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/store"
)

// Messages returns the messages kept for a topic (the latest MessagesPerTopic, and any
// still being delivered), oldest first, each with its deliveries.
func (s *Service) Messages(ctx context.Context, topicArn string) ([]Message, error) {
	name, err := s.topicName(topicArn, "TopicArn")
	if err != nil {
		return nil, err
	}
	if _, err := s.cfg.Store.ResourceGet(ctx, &store.ResourceGetParams{Kind: kindTopic, Name: name}); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, errTopicNotFound()
		}
		return nil, err
	}
	out := []Message{}
	err = listAll(ctx, s.cfg.Store, kindMessage, name+"/", func(r *store.Resource) error {
		var m Message
		if err := json.Unmarshal(r.Doc, &m); err != nil {
			return err
		}
		out = append(out, m)
		return nil
	})
	return out, err
}

// serveMessages answers GET /_stepwise/sns/messages?TopicArn=... with
// {"Messages":[...]}, the messages of Messages.
func (s *Service) serveMessages(w http.ResponseWriter, r *http.Request) {
	arn := r.URL.Query().Get("TopicArn")
	w.Header().Set("Content-Type", "application/json")
	msgs, err := s.Messages(r.Context(), arn)
	if err != nil {
		status, body := http.StatusInternalServerError, map[string]string{"Code": "InternalFailure", "Message": "An internal error occurred."}
		var ae *api.Error
		if errors.As(err, &ae) {
			status, body = ae.Status(), map[string]string{"Code": ae.Code, "Message": ae.Message}
		} else {
			s.log.Error("sns: listing messages", "topic_arn", arn, "err", err)
		}
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(body)
		return
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(map[string]any{"Messages": msgs})
}
