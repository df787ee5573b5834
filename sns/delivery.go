package sns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/stepwise-dev/stepwise/internal/uuid"
	"github.com/stepwise-dev/stepwise/store"
)

// Deliveries: each pending (message, subscription) pair has one loop in this process
// that attempts it when due, records the attempt in the message's document, and waits
// on the clock for the next one as the subscription's retry policy says. The due time
// is stored, so after a restart resumeDeliveries picks the loop up where it was.

// permanentError is a delivery failure that no retry can fix (the endpoint refused the
// message with a 4xx status, no Lambda service is wired).
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// resumeDeliveries starts the loops of the deliveries stored as pending.
func (s *Service) resumeDeliveries(ctx context.Context) error {
	return listAll(ctx, s.cfg.Store, kindMessage, "", func(r *store.Resource) error {
		if r.Status != messageDelivering {
			return nil
		}
		m, _, err := getRecord[Message](ctx, s.cfg.Store, kindMessage, r.Name)
		if err != nil {
			return err
		}
		for _, d := range m.Deliveries {
			if d.Status == DeliveryPending {
				s.startDelivery(r.Name, d.SubscriptionArn)
			}
		}
		return nil
	})
}

func (s *Service) startDelivery(message, subArn string) {
	key := message + "|" + subArn
	s.mu.Lock()
	if s.active[key] || s.ctx.Err() != nil {
		s.mu.Unlock()
		return
	}
	s.active[key] = true
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		defer func() {
			s.mu.Lock()
			delete(s.active, key)
			s.mu.Unlock()
		}()
		s.deliverLoop(message, subArn)
	}()
}

func (s *Service) deliverLoop(message, subArn string) {
	ctx := s.ctx
	for {
		m, _, err := getRecord[Message](ctx, s.cfg.Store, kindMessage, message)
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) && ctx.Err() == nil {
				s.log.Error("sns: reading a message to deliver", "message", message, "err", err)
			}
			return
		}
		d := findDelivery(m, subArn)
		if d == nil || d.Status != DeliveryPending {
			return
		}
		if wait := d.NextAttempt.Sub(s.clk.Now()); wait > 0 {
			select {
			case <-s.clk.After(wait):
			case <-ctx.Done():
				return
			}
		}
		sub, topic, gone := s.deliveryTarget(ctx, m, subArn)
		var attemptErr error
		var policy retryPolicy
		switch {
		case gone != "":
			attemptErr = permanentError{errors.New(gone)}
		default:
			policy, attemptErr = s.attempt(ctx, m, sub, topic)
		}
		if ctx.Err() != nil {
			return // stopping: this attempt does not count, it runs again after the restart
		}
		now := s.clk.Now()
		updated, err := updateRecord(ctx, s.cfg.Store, kindMessage, message, func(m *Message) (string, error) {
			d := findDelivery(m, subArn)
			if d == nil || d.Status != DeliveryPending {
				return "", nil
			}
			d.Attempts++
			d.LastAttempt = now
			d.NextAttempt = time.Time{}
			switch {
			case attemptErr == nil:
				d.Status, d.LastError = DeliveryDelivered, ""
			case errors.As(attemptErr, new(permanentError)):
				d.Status, d.LastError = DeliveryFailed, attemptErr.Error()
			default:
				d.LastError = attemptErr.Error()
				if delay, ok := policy.delay(d.Attempts); ok {
					d.NextAttempt = now.Add(delay)
				} else {
					d.Status = DeliveryFailed
					d.LastError = fmt.Sprintf("%s (gave up after %d attempts, as the delivery policy says)", attemptErr, d.Attempts)
				}
			}
			return m.status(), nil
		})
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) && ctx.Err() == nil {
				s.log.Error("sns: recording a delivery attempt", "message", message, "subscription_arn", subArn, "err", err)
			}
			return
		}
		d = findDelivery(updated, subArn)
		if d == nil {
			return
		}
		if s.attempted != nil {
			s.attempted <- *d
		}
		switch d.Status {
		case DeliveryDelivered:
			s.log.Debug("sns: delivered", "message_id", updated.MessageID, "subscription_arn", subArn, "attempts", d.Attempts)
		case DeliveryFailed:
			s.log.Warn("sns: delivery failed", "message_id", updated.MessageID, "subscription_arn", subArn,
				"endpoint", d.Endpoint, "attempts", d.Attempts, "err", d.LastError)
		case DeliveryPending:
			s.log.Info("sns: delivery will be retried", "message_id", updated.MessageID, "subscription_arn", subArn,
				"attempts", d.Attempts, "next_attempt", d.NextAttempt, "err", d.LastError)
			continue
		}
		if updated.status() == messageDone {
			s.prune(ctx, topicOfMessage(message))
		}
		return
	}
}

func findDelivery(m *Message, subArn string) *Delivery {
	for i := range m.Deliveries {
		if m.Deliveries[i].SubscriptionArn == subArn {
			return &m.Deliveries[i]
		}
	}
	return nil
}

func topicOfMessage(name string) string {
	for i := len(name) - 1; i >= 0; i-- {
		if name[i] == '/' {
			return name[:i]
		}
	}
	return name
}

// deliveryTarget loads the subscription and topic of a delivery; gone says why the
// delivery can no longer happen.
func (s *Service) deliveryTarget(ctx context.Context, m *Message, subArn string) (*subscriptionRecord, *topicRecord, string) {
	sub, _, err := getRecord[subscriptionRecord](ctx, s.cfg.Store, kindSubscription, subArn)
	if err != nil {
		return nil, nil, "the subscription was deleted"
	}
	name, err := s.topicName(m.TopicArn, "TopicArn")
	if err != nil {
		return nil, nil, "the topic was deleted"
	}
	topic, _, err := getRecord[topicRecord](ctx, s.cfg.Store, kindTopic, name)
	if err != nil {
		return nil, nil, "the topic was deleted"
	}
	return sub, topic, ""
}

// attempt makes one delivery attempt and returns the retry policy that applies.
func (s *Service) attempt(ctx context.Context, m *Message, sub *subscriptionRecord, topic *topicRecord) (retryPolicy, error) {
	body := m.body(sub.Protocol)
	switch sub.Protocol {
	case protoHTTP, protoHTTPS:
		policy, contentType := effectiveHTTPPolicy(topic.Attributes["DeliveryPolicy"], sub.Attributes["DeliveryPolicy"])
		var payload []byte
		headers := http.Header{}
		if sub.raw() {
			payload = []byte(body)
			headers.Set("x-amz-sns-rawdelivery", "true")
		} else {
			env, err := s.notificationEnvelope(m, body, sub.SubscriptionArn, signatureVersion(topic))
			if err != nil {
				return policy, permanentError{err}
			}
			payload = env.bytes()
		}
		headers.Set("Content-Type", contentType)
		headers.Set("x-amz-sns-message-type", typeNotification)
		headers.Set("x-amz-sns-message-id", m.MessageID)
		headers.Set("x-amz-sns-topic-arn", m.TopicArn)
		headers.Set("x-amz-sns-subscription-arn", sub.SubscriptionArn)
		return policy, s.post(ctx, sub.Endpoint, headers, payload)
	case protoLambda:
		if s.cfg.InvokeFunction == nil {
			return managedRetry, permanentError{errors.New("no Lambda service is wired to this SNS service")}
		}
		payload, err := s.lambdaEvent(m, body, sub.SubscriptionArn)
		if err != nil {
			return managedRetry, permanentError{err}
		}
		if err := s.cfg.InvokeFunction(ctx, sub.Endpoint, payload); err != nil {
			return managedRetry, fmt.Errorf("invoking %s: %w", sub.Endpoint, err)
		}
		return managedRetry, nil
	}
	return retryPolicy{}, permanentError{fmt.Errorf("protocol %s is not delivered by stepwise", sub.Protocol)}
}

func signatureVersion(t *topicRecord) string {
	if v := t.Attributes["SignatureVersion"]; v == "2" {
		return v
	}
	return "1"
}

// post sends one HTTP message. A 2xx reply is delivered; 429, 5xx and transport
// failures are retried; any other status is the endpoint refusing the message.
func (s *Service) post(ctx context.Context, endpoint string, headers http.Header, payload []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(payload))
	if err != nil {
		return permanentError{err}
	}
	req.Header = headers
	req.Header.Set("User-Agent", "Amazon Simple Notification Service Agent")
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("posting to %s: %w", endpoint, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	_ = resp.Body.Close()
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		return nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return fmt.Errorf("%s answered %s", endpoint, resp.Status)
	}
	return permanentError{fmt.Errorf("%s answered %s", endpoint, resp.Status)}
}

// sendConfirmation posts a SubscriptionConfirmation to an http/https endpoint.
func (s *Service) sendConfirmation(ctx context.Context, rec *subscriptionRecord, link string) error {
	version := "1"
	if name, err := s.topicName(rec.TopicArn, "TopicArn"); err == nil {
		if t, _, err := getRecord[topicRecord](ctx, s.cfg.Store, kindTopic, name); err == nil {
			version = signatureVersion(t)
		}
	}
	id := uuid.New()
	env, err := s.confirmationEnvelope(rec, id, link, version, s.clk.Now())
	if err != nil {
		return err
	}
	headers := http.Header{}
	headers.Set("Content-Type", "text/plain; charset=UTF-8")
	headers.Set("x-amz-sns-message-type", typeConfirmation)
	headers.Set("x-amz-sns-message-id", id)
	headers.Set("x-amz-sns-topic-arn", rec.TopicArn)
	return s.post(ctx, rec.Endpoint, headers, env.bytes())
}
