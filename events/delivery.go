package events

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/store"
)

func isAlreadyExists(err error) bool { return errors.Is(err, store.ErrAlreadyExists) }

// poke wakes the delivery loop.
func (s *Service) poke() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// deliverLoop attempts the pending deliveries that are due, then waits for the next
// one to come due or for new ones.
func (s *Service) deliverLoop() {
	defer s.wg.Done()
	for {
		next, err := s.deliverDue(s.ctx)
		if err != nil && s.ctx.Err() == nil {
			s.log.Error("listing pending deliveries", "err", err)
		}
		var timer <-chan time.Time
		if !next.IsZero() {
			timer = s.cfg.Clock.After(next.Sub(s.cfg.Clock.Now()))
		} else if err != nil {
			timer = s.cfg.Clock.After(5 * time.Second)
		}
		select {
		case <-s.ctx.Done():
			return
		case <-s.wake:
		case <-timer:
		}
	}
}

// deliverDue starts an attempt of every pending delivery that is due and returns when
// the earliest of the others is.
func (s *Service) deliverDue(ctx context.Context) (time.Time, error) {
	now := s.cfg.Clock.Now()
	var next time.Time
	after := ""
	for {
		res, err := s.cfg.Store.ResourceList(ctx, &store.ResourceListParams{Kind: kindDelivery,
			Statuses: []string{deliveryPending}, After: after, Limit: 500})
		if err != nil {
			return next, err
		}
		for _, r := range res.Resources {
			var dl delivery
			if err := json.Unmarshal(r.Doc, &dl); err != nil {
				s.log.Error("unreadable delivery", "delivery", r.Name, "err", err)
				continue
			}
			if dl.NextAttempt.After(now) {
				if next.IsZero() || dl.NextAttempt.Before(next) {
					next = dl.NextAttempt
				}
				continue
			}
			s.mu.Lock()
			busy := s.inflight[r.Name]
			s.inflight[r.Name] = true
			s.mu.Unlock()
			if busy {
				continue
			}
			s.wg.Add(1)
			go func(name string, version int64, dl delivery) {
				defer s.wg.Done()
				s.attempt(ctx, name, version, &dl)
				s.mu.Lock()
				delete(s.inflight, name)
				s.mu.Unlock()
				s.poke()
				select {
				case s.progress <- struct{}{}:
				default:
				}
			}(r.Name, r.Version, dl)
		}
		if res.Next == "" {
			return next, nil
		}
		after = res.Next
	}
}

// attempt hands the event to the target once and records the outcome: delivered, to
// be retried after a back-off, or failed for good once the retry policy is spent.
func (s *Service) attempt(ctx context.Context, name string, version int64, dl *delivery) {
	// The listing may predate an attempt that just ended: go ahead only if the
	// delivery is still the one listed.
	cur, err := s.cfg.Store.ResourceGet(ctx, &store.ResourceGetParams{Kind: kindDelivery, Name: name})
	if err != nil || cur.Version != version || cur.Status != deliveryPending {
		return
	}
	arn, err := s.send(ctx, dl)
	if ctx.Err() != nil {
		return // stopping: the delivery stays pending and is attempted after the restart
	}
	now := s.cfg.Clock.Now()
	dl.Attempts++
	status := deliveryDelivered
	if err != nil {
		dl.LastError = err.Error()
		dl.NextAttempt = now.Add(backoff(dl.Attempts))
		status = deliveryPending
		if dl.Attempts >= dl.MaxAttempts || dl.NextAttempt.Sub(dl.Enqueued) > time.Duration(dl.MaxAge)*time.Second {
			status = deliveryFailed
			s.log.Error("event not delivered: retries exhausted", "rule", dl.Rule, "target", dl.TargetID,
				"event_id", dl.EventID, "attempts", dl.Attempts, "err", err)
		} else {
			s.log.Warn("event delivery failed; will retry", "rule", dl.Rule, "target", dl.TargetID,
				"event_id", dl.EventID, "attempts", dl.Attempts, "retry_at", dl.NextAttempt, "err", err)
		}
	} else {
		dl.LastError, dl.ExecutionArn = "", arn
	}
	b, _ := json.Marshal(dl)
	_, uerr := s.cfg.Store.ResourceUpdate(ctx, &store.ResourceUpdateParams{Kind: kindDelivery, Name: name, Status: status,
		Doc: b, IfVersion: version, UpdatedAt: now})
	if uerr != nil {
		s.log.Error("delivery outcome not recorded", "delivery", name, "err", uerr)
	}
}

// backoff is the wait before retry n (1-based): exponential from one second, at most
// five minutes, so 185 attempts spread over the 24 hours of the default policy.
func backoff(n int) time.Duration {
	if n > 9 {
		return 5 * time.Minute
	}
	return min(time.Second<<(n-1), 5*time.Minute)
}

// send makes one delivery attempt; it returns the execution started for a state
// machine target.
func (s *Service) send(ctx context.Context, dl *delivery) (string, error) {
	switch targetKind(dl.TargetArn) {
	case "states":
		if s.cfg.StartExecution == nil {
			return "", errors.New("no Step Functions service")
		}
		arn, err := s.cfg.StartExecution(ctx, dl.TargetArn, executionName(dl.EventID, dl.Rule, dl.TargetID), dl.Input)
		var ae *api.Error
		if errors.As(err, &ae) && ae.Code == "ExecutionAlreadyExists" {
			return "", nil // this event started it already (and it has ended)
		}
		return arn, err
	case "lambda":
		if s.cfg.InvokeFunction == nil {
			return "", errors.New("no Lambda service")
		}
		return "", s.cfg.InvokeFunction(ctx, dl.TargetArn, []byte(dl.Input))
	case "sns":
		if s.cfg.Publish == nil {
			return "", errors.New("no SNS service")
		}
		return "", s.cfg.Publish(ctx, dl.TargetArn, snsMessage(dl.Input))
	}
	return "", fmt.Errorf("unsupported target %s", dl.TargetArn)
}

// snsMessage is the message an SNS target gets: a JSON string input is sent as its
// text (an InputTransformer template such as "\"<bucket> has <key>\""), anything else
// as the JSON.
func snsMessage(input string) string {
	var str string
	if len(input) > 0 && input[0] == '"' && json.Unmarshal([]byte(input), &str) == nil {
		return str
	}
	return input
}

// executionName is the name of the execution an event starts for a rule's target: the
// event id and a digest of rule and target, so the same event never starts two.
func executionName(eventID, rule, target string) string {
	sum := sha256.Sum256([]byte(rule + "/" + target))
	return eventID + "_" + hex.EncodeToString(sum[:])[:16]
}

// purgeDelivered forgets deliveries that ended more than two days ago: long past the
// catch-up window, so no schedule can fire their due time again.
func (s *Service) purgeDelivered(ctx context.Context) error {
	cutoff := s.cfg.Clock.Now().Add(-48 * time.Hour)
	after := ""
	for {
		res, err := s.cfg.Store.ResourceList(ctx, &store.ResourceListParams{Kind: kindDelivery,
			Statuses: []string{deliveryDelivered, deliveryFailed}, After: after, Limit: 500})
		if err != nil {
			return err
		}
		for _, r := range res.Resources {
			if r.UpdatedAt.Before(cutoff) {
				if err := s.cfg.Store.ResourceDelete(ctx, &store.ResourceDeleteParams{Kind: kindDelivery, Name: r.Name}); err != nil && !errors.Is(err, store.ErrNotFound) {
					return err
				}
			}
		}
		if res.Next == "" {
			return nil
		}
		after = res.Next
	}
}
