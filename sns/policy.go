package sns

import (
	"encoding/json"
	"math"
	"strings"
	"time"
)

// retryPolicy is SNS's delivery retry policy: after the first attempt, NumNoDelayRetries
// immediate retries, NumMinDelayRetries at MinDelayTarget, a backoff from MinDelayTarget
// to MaxDelayTarget, and NumMaxDelayRetries at MaxDelayTarget; NumRetries in all.
// Delays are in seconds.
type retryPolicy struct {
	MinDelayTarget     int    `json:"minDelayTarget"`
	MaxDelayTarget     int    `json:"maxDelayTarget"`
	NumRetries         int    `json:"numRetries"`
	NumMaxDelayRetries int    `json:"numMaxDelayRetries"`
	NumNoDelayRetries  int    `json:"numNoDelayRetries"`
	NumMinDelayRetries int    `json:"numMinDelayRetries"`
	BackoffFunction    string `json:"backoffFunction"`
}

// defaultHTTPRetry is SNS's policy for http/https: three retries, 20 seconds apart.
var defaultHTTPRetry = retryPolicy{MinDelayTarget: 20, MaxDelayTarget: 20, NumRetries: 3, BackoffFunction: "linear"}

// managedRetry is SNS's fixed policy for AWS-managed endpoints (Lambda): 3 immediate
// retries, 2 one second apart, 10 backing off from 1 to 20 seconds, then 100,000 every
// 20 seconds.
var managedRetry = retryPolicy{MinDelayTarget: 1, MaxDelayTarget: 20, NumNoDelayRetries: 3, NumMinDelayRetries: 2,
	NumMaxDelayRetries: 100000, NumRetries: 3 + 2 + 10 + 100000, BackoffFunction: "exponential"}

// delay is the wait before retry n (1 for the first retry); ok is false once the policy
// is exhausted.
func (p retryPolicy) delay(n int) (d time.Duration, ok bool) {
	if n < 1 || n > p.NumRetries {
		return 0, false
	}
	sec := func(f float64) time.Duration { return time.Duration(f * float64(time.Second)) }
	if n <= p.NumNoDelayRetries {
		return 0, true
	}
	n -= p.NumNoDelayRetries
	if n <= p.NumMinDelayRetries {
		return sec(float64(p.MinDelayTarget)), true
	}
	n -= p.NumMinDelayRetries
	backoff := p.NumRetries - p.NumNoDelayRetries - p.NumMinDelayRetries - p.NumMaxDelayRetries
	if n > backoff {
		return sec(float64(p.MaxDelayTarget)), true
	}
	lo, hi := float64(p.MinDelayTarget), float64(p.MaxDelayTarget)
	x := float64(n) / float64(backoff) // (0, 1]
	var f float64
	switch p.BackoffFunction {
	case "arithmetic":
		f = lo + (hi-lo)*x*x
	case "geometric":
		f = lo + (hi-lo)*math.Sqrt(x)
	case "exponential":
		if lo <= 0 {
			lo = 1
		}
		f = lo * math.Pow(hi/lo, x)
	default: // linear
		f = lo + (hi-lo)*x
	}
	return sec(f), true
}

// httpDeliveryPolicy is the "http" member of a topic's DeliveryPolicy.
type httpDeliveryPolicy struct {
	DefaultHealthyRetryPolicy    *retryPolicy   `json:"defaultHealthyRetryPolicy,omitempty"`
	DisableSubscriptionOverrides bool           `json:"disableSubscriptionOverrides"`
	DefaultThrottlePolicy        map[string]any `json:"defaultThrottlePolicy,omitempty"`
	DefaultRequestPolicy         *requestPolicy `json:"defaultRequestPolicy,omitempty"`
}

type requestPolicy struct {
	HeaderContentType string `json:"headerContentType,omitempty"`
}

type topicDeliveryPolicy struct {
	HTTP *httpDeliveryPolicy `json:"http,omitempty"`
}

// subscriptionDeliveryPolicy is a subscription's DeliveryPolicy.
type subscriptionDeliveryPolicy struct {
	HealthyRetryPolicy *retryPolicy   `json:"healthyRetryPolicy,omitempty"`
	ThrottlePolicy     map[string]any `json:"throttlePolicy,omitempty"`
	RequestPolicy      *requestPolicy `json:"requestPolicy,omitempty"`
}

// checkRetryPolicy applies SNS's bounds to a retry policy; it returns what is wrong.
func checkRetryPolicy(p *retryPolicy) string {
	switch {
	case p.MinDelayTarget < 1 || p.MaxDelayTarget < 1:
		return "minDelayTarget and maxDelayTarget must be at least 1"
	case p.MinDelayTarget > p.MaxDelayTarget:
		return "minDelayTarget must be less than or equal to maxDelayTarget"
	case p.MaxDelayTarget > 3600:
		return "maxDelayTarget must be at most 3600"
	case p.NumRetries < 0 || p.NumRetries > 100:
		return "numRetries must be between 0 and 100"
	case p.NumNoDelayRetries < 0 || p.NumMinDelayRetries < 0 || p.NumMaxDelayRetries < 0:
		return "retry counts must not be negative"
	case p.NumNoDelayRetries+p.NumMinDelayRetries+p.NumMaxDelayRetries > p.NumRetries:
		return "numNoDelayRetries + numMinDelayRetries + numMaxDelayRetries must not exceed numRetries"
	}
	switch p.BackoffFunction {
	case "", "linear", "arithmetic", "geometric", "exponential":
	default:
		return "backoffFunction must be one of linear, arithmetic, geometric, exponential"
	}
	if p.BackoffFunction == "" {
		p.BackoffFunction = "linear"
	}
	return ""
}

// parseTopicDeliveryPolicy checks a topic's DeliveryPolicy attribute.
func parseTopicDeliveryPolicy(text, errPrefix string) (*topicDeliveryPolicy, error) {
	var p topicDeliveryPolicy
	if strings.TrimSpace(text) == "" {
		return &p, nil
	}
	if err := json.Unmarshal([]byte(text), &p); err != nil {
		return nil, errInvalidParameter("%sDeliveryPolicy: failed to parse JSON.", errPrefix)
	}
	if p.HTTP != nil && p.HTTP.DefaultHealthyRetryPolicy != nil {
		if msg := checkRetryPolicy(p.HTTP.DefaultHealthyRetryPolicy); msg != "" {
			return nil, errInvalidParameter("%sDeliveryPolicy: http.defaultHealthyRetryPolicy: %s", errPrefix, msg)
		}
	}
	return &p, nil
}

// parseSubscriptionDeliveryPolicy checks a subscription's DeliveryPolicy attribute.
func parseSubscriptionDeliveryPolicy(text, errPrefix string) (*subscriptionDeliveryPolicy, error) {
	var p subscriptionDeliveryPolicy
	if strings.TrimSpace(text) == "" {
		return &p, nil
	}
	if err := json.Unmarshal([]byte(text), &p); err != nil {
		return nil, errInvalidParameter("%sDeliveryPolicy: failed to parse JSON.", errPrefix)
	}
	if p.HealthyRetryPolicy != nil {
		if msg := checkRetryPolicy(p.HealthyRetryPolicy); msg != "" {
			return nil, errInvalidParameter("%sDeliveryPolicy: healthyRetryPolicy: %s", errPrefix, msg)
		}
	}
	return &p, nil
}

// effectiveHTTPPolicy is the policy an http/https delivery follows: the subscription's
// unless the topic disables overrides, then the topic's, then SNS's default; and the
// Content-Type of its requests.
func effectiveHTTPPolicy(topicPolicy, subPolicy string) (retryPolicy, string) {
	rp, ct := defaultHTTPRetry, "text/plain; charset=UTF-8"
	tp, _ := parseTopicDeliveryPolicy(topicPolicy, "")
	overridable := true
	if tp != nil && tp.HTTP != nil {
		if tp.HTTP.DefaultHealthyRetryPolicy != nil {
			rp = *tp.HTTP.DefaultHealthyRetryPolicy
		}
		if tp.HTTP.DefaultRequestPolicy != nil && tp.HTTP.DefaultRequestPolicy.HeaderContentType != "" {
			ct = tp.HTTP.DefaultRequestPolicy.HeaderContentType
		}
		overridable = !tp.HTTP.DisableSubscriptionOverrides
	}
	if sp, _ := parseSubscriptionDeliveryPolicy(subPolicy, ""); sp != nil && overridable {
		if sp.HealthyRetryPolicy != nil {
			rp = *sp.HealthyRetryPolicy
		}
		if sp.RequestPolicy != nil && sp.RequestPolicy.HeaderContentType != "" {
			ct = sp.RequestPolicy.HeaderContentType
		}
	}
	return rp, ct
}

// effectiveTopicPolicyJSON is a topic's EffectiveDeliveryPolicy attribute.
func effectiveTopicPolicyJSON(topicPolicy string) string {
	rp, ct := effectiveHTTPPolicy(topicPolicy, "")
	disable := false
	if tp, _ := parseTopicDeliveryPolicy(topicPolicy, ""); tp != nil && tp.HTTP != nil {
		disable = tp.HTTP.DisableSubscriptionOverrides
	}
	b, _ := json.Marshal(map[string]any{"http": map[string]any{
		"defaultHealthyRetryPolicy":    rp,
		"disableSubscriptionOverrides": disable,
		"defaultRequestPolicy":         requestPolicy{HeaderContentType: ct},
	}})
	return string(b)
}

// effectiveSubscriptionPolicyJSON is an http/https subscription's EffectiveDeliveryPolicy.
func effectiveSubscriptionPolicyJSON(topicPolicy, subPolicy string) string {
	rp, ct := effectiveHTTPPolicy(topicPolicy, subPolicy)
	b, _ := json.Marshal(map[string]any{
		"healthyRetryPolicy": rp,
		"requestPolicy":      requestPolicy{HeaderContentType: ct},
	})
	return string(b)
}
