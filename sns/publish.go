package sns

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stepwise-dev/stepwise/api"
	"github.com/stepwise-dev/stepwise/internal/uuid"
	"github.com/stepwise-dev/stepwise/store"
)

// Limits of Publish.
const (
	maxMessageBytes  = 262144 // message and attributes together
	maxSubjectLength = 100
	maxBatchEntries  = 10
	dedupWindow      = 5 * time.Minute
)

// Delivery statuses.
const (
	DeliveryPending   = "Pending"
	DeliveryDelivered = "Delivered"
	DeliveryFailed    = "Failed"
	DeliveryFiltered  = "Filtered"
)

// Message is a published message as stepwise keeps it, with one delivery per
// subscription that was confirmed when it was published.
type Message struct {
	MessageID              string                      `json:"MessageId"`
	TopicArn               string                      `json:"TopicArn"`
	Subject                string                      `json:"Subject,omitempty"`
	Message                string                      `json:"Message"`
	MessageStructure       string                      `json:"MessageStructure,omitempty"`
	MessageAttributes      map[string]MessageAttribute `json:"MessageAttributes,omitempty"`
	MessageGroupID         string                      `json:"MessageGroupId,omitempty"`
	MessageDeduplicationID string                      `json:"MessageDeduplicationId,omitempty"`
	SequenceNumber         string                      `json:"SequenceNumber,omitempty"`
	Timestamp              time.Time                   `json:"Timestamp"`
	Deliveries             []Delivery                  `json:"Deliveries"`
}

// Delivery is the fate of a message at one subscription.
type Delivery struct {
	SubscriptionArn string `json:"SubscriptionArn"`
	Protocol        string `json:"Protocol"`
	Endpoint        string `json:"Endpoint"`
	// Status is Pending (being delivered or waiting for a retry), Delivered, Failed (the
	// retry policy is exhausted, or the endpoint refused it) or Filtered (the
	// subscription's filter policy did not match).
	Status      string    `json:"Status"`
	Attempts    int       `json:"Attempts"`
	NextAttempt time.Time `json:"NextAttempt,omitzero"`
	LastAttempt time.Time `json:"LastAttempt,omitzero"`
	LastError   string    `json:"LastError,omitempty"`
	// Detail says where a delivered message went ("delivered to the email outbox").
	Detail string `json:"Detail,omitempty"`
}

func (m *Message) status() string {
	for _, d := range m.Deliveries {
		if d.Status == DeliveryPending {
			return messageDelivering
		}
	}
	return messageDone
}

// body is the message a protocol receives: with MessageStructure json, its own entry
// or the default one.
func (m *Message) body(protocol string) string {
	if m.MessageStructure != "json" {
		return m.Message
	}
	var per map[string]any
	if json.Unmarshal([]byte(m.Message), &per) != nil {
		return m.Message
	}
	if v, ok := per[protocol].(string); ok {
		return v
	}
	v, _ := per["default"].(string)
	return v
}

// PublishInput is a Publish request.
type PublishInput struct {
	TopicArn               string
	TargetArn              string
	PhoneNumber            string
	Message                string
	Subject                string
	MessageStructure       string
	MessageAttributes      map[string]MessageAttribute
	MessageGroupID         string
	MessageDeduplicationID string
}

// PublishOutput is Publish's result.
type PublishOutput struct {
	MessageID      string `xml:"MessageId"`
	SequenceNumber string `xml:"SequenceNumber,omitempty"`
}

type dedupEntry struct {
	out     PublishOutput
	expires time.Time
}

// Publish publishes a message to a topic and returns its MessageId: the call
// EventBridge targets use.
func (s *Service) Publish(ctx context.Context, topicArn, subject, message string, attrs map[string]MessageAttribute) (string, error) {
	out, err := s.PublishMessage(ctx, &PublishInput{TopicArn: topicArn, Subject: subject, Message: message, MessageAttributes: attrs})
	if err != nil {
		return "", err
	}
	return out.MessageID, nil
}

func (s *Service) publishAction(ctx context.Context, p url.Values) (any, error) {
	if !p.Has("Message") {
		return nil, errRequired("message")
	}
	if p.Has("Subject") && p.Get("Subject") == "" {
		return nil, errInvalidParameter("Subject")
	}
	attrs, err := decodeAttributes(p, "MessageAttributes", "messageAttributes")
	if err != nil {
		return nil, err
	}
	out, err := s.PublishMessage(ctx, &PublishInput{
		TopicArn: p.Get("TopicArn"), TargetArn: p.Get("TargetArn"), PhoneNumber: p.Get("PhoneNumber"),
		Message: p.Get("Message"), Subject: p.Get("Subject"), MessageStructure: p.Get("MessageStructure"),
		MessageAttributes: attrs, MessageGroupID: p.Get("MessageGroupId"), MessageDeduplicationID: p.Get("MessageDeduplicationId"),
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// checkSubject applies SNS's rules: at most 100 printable ASCII characters, beginning
// with a letter, digit or punctuation, no line breaks or control characters.
func checkSubject(subject string) error {
	if len(subject) > maxSubjectLength {
		return errInvalidParameter("Subject")
	}
	for i, c := range []byte(subject) {
		if c < 0x20 || c > 0x7e || i == 0 && c == ' ' {
			return errInvalidParameter("Subject")
		}
	}
	return nil
}

// checkMessage applies the checks of Publish that need no stored state.
func checkMessage(in *PublishInput, fifo bool) error {
	if in.Message == "" {
		return errInvalidParameter("Empty message")
	}
	if err := checkSubject(in.Subject); err != nil {
		return err
	}
	if len(in.Message)+attributesSize(in.MessageAttributes) > maxMessageBytes {
		return errInvalidParameter("Message too long")
	}
	if fifo && in.MessageGroupID == "" {
		return errInvalidParameter("The MessageGroupId parameter is required for FIFO topics")
	}
	if !fifo && in.MessageDeduplicationID != "" {
		return errInvalidParameter("MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type")
	}
	switch in.MessageStructure {
	case "":
	case "json":
		var per map[string]any
		if err := json.Unmarshal([]byte(in.Message), &per); err != nil {
			return errInvalidParameter("Message Structure - JSON message body failed to parse")
		}
		if _, ok := per["default"].(string); !ok {
			return errInvalidParameter("Message Structure - No default entry in JSON message body")
		}
	default:
		return errInvalidParameter("MessageStructure Reason: Invalid value [%s]. Must be json.", in.MessageStructure)
	}
	return nil
}

// PublishMessage publishes a message: it is stored with a delivery per confirmed
// subscription before it is acknowledged, then delivered in the background.
func (s *Service) PublishMessage(ctx context.Context, in *PublishInput) (*PublishOutput, error) {
	if in.PhoneNumber != "" && in.TopicArn == "" && in.TargetArn == "" {
		return nil, errInvalidParameter("PhoneNumber Reason: stepwise does not send SMS messages")
	}
	target, member := in.TopicArn, "TopicArn"
	if target == "" {
		target, member = in.TargetArn, "TargetArn"
	}
	if target == "" {
		return nil, errInvalidParameter("TopicArn or TargetArn Reason: no value for required parameter")
	}
	fifo := strings.HasSuffix(target, ".fifo")
	if err := checkMessage(in, fifo); err != nil {
		return nil, err
	}
	name, topic, err := s.loadTopic(ctx, target, member)
	if err != nil {
		return nil, err
	}
	now := s.clk.Now()
	var dedupKey string
	if topic.fifo() {
		dedupID := in.MessageDeduplicationID
		if dedupID == "" {
			if topic.Attributes["ContentBasedDeduplication"] != "true" {
				return nil, errInvalidParameter("The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly")
			}
			sum := sha256.Sum256([]byte(in.Message))
			dedupID = hex.EncodeToString(sum[:])
		}
		dedupKey = target + "\x00" + dedupID
		s.mu.Lock()
		if e, ok := s.dedup[dedupKey]; ok && now.Before(e.expires) {
			s.mu.Unlock()
			out := e.out
			return &out, nil
		}
		s.mu.Unlock()
	}
	subs, err := s.confirmedSubscriptions(ctx, topic.TopicArn)
	if err != nil {
		return nil, err
	}
	m := &Message{
		MessageID: uuid.New(), TopicArn: topic.TopicArn, Subject: in.Subject, Message: in.Message,
		MessageStructure: in.MessageStructure, MessageAttributes: in.MessageAttributes,
		MessageGroupID: in.MessageGroupID, MessageDeduplicationID: in.MessageDeduplicationID, Timestamp: now,
		Deliveries: []Delivery{},
	}
	for _, sub := range subs {
		m.Deliveries = append(m.Deliveries, s.plan(m, sub, now))
	}
	key, seq, err := s.storeMessage(ctx, name, m)
	if err != nil {
		return nil, err
	}
	out := PublishOutput{MessageID: m.MessageID}
	if topic.fifo() {
		out.SequenceNumber = fmt.Sprintf("%020d", uint64(1e19)+seq%uint64(1e19))
		s.mu.Lock()
		s.dedup[dedupKey] = dedupEntry{out: out, expires: now.Add(dedupWindow)}
		for k, e := range s.dedup {
			if !now.Before(e.expires) {
				delete(s.dedup, k)
			}
		}
		s.mu.Unlock()
	}
	for _, d := range m.Deliveries {
		if d.Status == DeliveryPending {
			s.startDelivery(key, d.SubscriptionArn)
		}
	}
	s.prune(ctx, name)
	return &out, nil
}

// plan is a new message's delivery to one subscription: filtered out, delivered at once
// to the email outbox, or pending.
func (s *Service) plan(m *Message, sub *subscriptionRecord, now time.Time) Delivery {
	d := Delivery{SubscriptionArn: sub.SubscriptionArn, Protocol: sub.Protocol, Endpoint: sub.Endpoint, Status: DeliveryPending, NextAttempt: now}
	if !s.matches(m, sub) {
		d.Status, d.NextAttempt = DeliveryFiltered, time.Time{}
		return d
	}
	if sub.Protocol == protoEmail || sub.Protocol == protoEmailJSON {
		d.Status, d.NextAttempt, d.Attempts, d.LastAttempt = DeliveryDelivered, time.Time{}, 1, now
		d.Detail = "delivered to the email outbox"
		s.log.Info("sns: message delivered to the email outbox", "message_id", m.MessageID, "endpoint", sub.Endpoint,
			"subscription_arn", sub.SubscriptionArn)
	}
	return d
}

// matches applies a subscription's filter policy to a message.
func (s *Service) matches(m *Message, sub *subscriptionRecord) bool {
	fp, err := parseFilterPolicy(sub.Attributes["FilterPolicy"], sub.scope(), "")
	if err != nil {
		s.log.Error("sns: stored filter policy does not parse", "subscription_arn", sub.SubscriptionArn, "err", err)
		return false
	}
	if sub.scope() == scopeBody {
		return fp.matchBody(m.body(sub.Protocol))
	}
	return fp.matchAttributes(m.MessageAttributes)
}

func (s *Service) confirmedSubscriptions(ctx context.Context, topicArn string) ([]*subscriptionRecord, error) {
	var out []*subscriptionRecord
	err := listAll(ctx, s.cfg.Store, kindSubscription, topicArn+":", func(r *store.Resource) error {
		if r.Status != subConfirmed {
			return nil
		}
		var sr subscriptionRecord
		if err := json.Unmarshal(r.Doc, &sr); err != nil {
			return err
		}
		out = append(out, &sr)
		return nil
	})
	return out, err
}

// storeMessage stores a new message under "<topic>/<sequence>" and returns its name.
func (s *Service) storeMessage(ctx context.Context, topic string, m *Message) (string, uint64, error) {
	doc, err := json.Marshal(m)
	if err != nil {
		return "", 0, err
	}
	// Keep names increasing past those stored before a restart, whatever the clock says.
	names, err := s.messageNames(ctx, topic)
	if err != nil {
		return "", 0, err
	}
	if len(names) > 0 {
		if last, err := strconv.ParseUint(names[len(names)-1][len(topic)+1:], 10, 64); err == nil {
			s.mu.Lock()
			s.seq = max(s.seq, last)
			s.mu.Unlock()
		}
	}
	for {
		seq := s.nextSeq(m.Timestamp)
		name := fmt.Sprintf("%s/%020d", topic, seq)
		_, err := s.cfg.Store.ResourceCreate(ctx, &store.ResourceCreateParams{Kind: kindMessage, Name: name, ARN: m.MessageID,
			Status: m.status(), Doc: doc, CreatedAt: m.Timestamp})
		if errors.Is(err, store.ErrAlreadyExists) {
			continue // a name from before a restart, with a clock that has not moved
		}
		if err != nil {
			return "", 0, err
		}
		s.remember(ctx, topic, name)
		return name, seq, nil
	}
}

// nextSeq hands out increasing message sequence numbers, by the clock where it moves.
func (s *Service) nextSeq(now time.Time) uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := uint64(max(now.UnixNano(), 0))
	if n <= s.seq {
		n = s.seq + 1
	}
	s.seq = n
	return n
}

// messageNames lists the stored messages of a topic, oldest first.
func (s *Service) messageNames(ctx context.Context, topic string) ([]string, error) {
	s.mu.Lock()
	names, ok := s.index[topic]
	s.mu.Unlock()
	if ok {
		return append([]string(nil), names...), nil
	}
	names = nil
	if err := listAll(ctx, s.cfg.Store, kindMessage, topic+"/", func(r *store.Resource) error {
		names = append(names, r.Name)
		return nil
	}); err != nil {
		return nil, err
	}
	s.mu.Lock()
	if cur, ok := s.index[topic]; ok {
		names = cur // filled meanwhile by remember
	} else {
		s.index[topic] = names
	}
	s.mu.Unlock()
	return append([]string(nil), names...), nil
}

// remember adds a stored message to its topic's index.
func (s *Service) remember(ctx context.Context, topic, name string) {
	if _, err := s.messageNames(ctx, topic); err != nil {
		s.log.Warn("sns: listing a topic's messages", "topic", topic, "err", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range s.index[topic] {
		if n == name {
			return
		}
	}
	s.index[topic] = append(s.index[topic], name)
}

// prune deletes a topic's oldest messages beyond the retention limit, keeping those
// still being delivered.
func (s *Service) prune(ctx context.Context, topic string) {
	names, err := s.messageNames(ctx, topic)
	if err != nil {
		return
	}
	excess := len(names) - s.cfg.MessagesPerTopic
	var gone []string
	for i := 0; i < len(names) && excess > 0; i++ {
		r, err := s.cfg.Store.ResourceGet(ctx, &store.ResourceGetParams{Kind: kindMessage, Name: names[i]})
		if err == nil && r.Status == messageDelivering {
			continue
		}
		if err == nil {
			err = s.cfg.Store.ResourceDelete(ctx, &store.ResourceDeleteParams{Kind: kindMessage, Name: names[i]})
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.log.Warn("sns: pruning a message", "message", names[i], "err", err)
			continue
		}
		gone = append(gone, names[i])
		excess--
	}
	if len(gone) == 0 {
		return
	}
	drop := map[string]bool{}
	for _, g := range gone {
		drop[g] = true
	}
	s.mu.Lock()
	kept := s.index[topic][:0]
	for _, n := range s.index[topic] {
		if !drop[n] {
			kept = append(kept, n)
		}
	}
	s.index[topic] = kept
	s.mu.Unlock()
}

// PublishBatch.

type batchResultEntry struct {
	ID             string `xml:"Id"`
	MessageID      string `xml:"MessageId"`
	SequenceNumber string `xml:"SequenceNumber,omitempty"`
}

type batchErrorEntry struct {
	ID          string `xml:"Id"`
	Code        string `xml:"Code"`
	Message     string `xml:"Message"`
	SenderFault bool   `xml:"SenderFault"`
}

type publishBatchResult struct {
	Successful struct {
		Members []batchResultEntry `xml:"member"`
	} `xml:"Successful"`
	Failed struct {
		Members []batchErrorEntry `xml:"member"`
	} `xml:"Failed"`
}

func validBatchID(id string) bool {
	if id == "" || len(id) > 80 {
		return false
	}
	for _, c := range []byte(id) {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func (s *Service) publishBatchAction(ctx context.Context, p url.Values) (any, error) {
	if !p.Has("TopicArn") {
		return nil, errRequired("topicArn")
	}
	topicArn := p.Get("TopicArn")
	idx := indexes(p, "PublishBatchRequestEntries.member.")
	switch {
	case len(idx) == 0:
		return nil, api.NewError(codeEmptyBatch, "The batch request doesn't contain any entries.")
	case len(idx) > maxBatchEntries:
		return nil, api.NewError(codeTooManyEntries, "The batch request contains more entries than permissible.")
	}
	if _, _, err := s.loadTopic(ctx, topicArn, "TopicArn"); err != nil {
		return nil, err
	}
	type entry struct {
		id  string
		in  *PublishInput
		err error
	}
	var entries []entry
	seen := map[string]bool{}
	total := 0
	for pos, i := range idx {
		base := fmt.Sprintf("PublishBatchRequestEntries.member.%d.", i)
		id := p.Get(base + "Id")
		if !validBatchID(id) {
			return nil, api.NewError(codeInvalidBatchEntryID, "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.")
		}
		if seen[id] {
			return nil, api.NewError(codeBatchIDsNotDistinct, "Two or more batch entries in the request have the same Id.")
		}
		seen[id] = true
		e := entry{id: id, in: &PublishInput{TopicArn: topicArn, Message: p.Get(base + "Message"), Subject: p.Get(base + "Subject"),
			MessageStructure: p.Get(base + "MessageStructure"), MessageGroupID: p.Get(base + "MessageGroupId"),
			MessageDeduplicationID: p.Get(base + "MessageDeduplicationId")}}
		e.in.MessageAttributes, e.err = decodeAttributes(p, base+"MessageAttributes",
			fmt.Sprintf("publishBatchRequestEntries.%d.member.messageAttributes", pos+1))
		if e.err == nil && p.Has(base+"Subject") && e.in.Subject == "" {
			e.err = errInvalidParameter("Subject")
		}
		total += len(e.in.Message) + attributesSize(e.in.MessageAttributes)
		entries = append(entries, e)
	}
	if total > maxMessageBytes {
		return nil, api.NewError(codeBatchTooLong, "The length of all the messages put together is more than the limit.")
	}
	var out publishBatchResult
	out.Successful.Members = []batchResultEntry{}
	out.Failed.Members = []batchErrorEntry{}
	for _, e := range entries {
		var res *PublishOutput
		err := e.err
		if err == nil {
			res, err = s.PublishMessage(ctx, e.in)
		}
		if err != nil {
			var ae *api.Error
			if !errors.As(err, &ae) {
				return nil, err
			}
			out.Failed.Members = append(out.Failed.Members, batchErrorEntry{ID: e.id, Code: ae.Code, Message: ae.Message, SenderFault: ae.Sender})
			continue
		}
		out.Successful.Members = append(out.Successful.Members, batchResultEntry{ID: e.id, MessageID: res.MessageID, SequenceNumber: res.SequenceNumber})
	}
	return out, nil
}
