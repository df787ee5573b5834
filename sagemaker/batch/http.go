package batch

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"
)

// StatusError is a response other than 2xx from the serving process.
type StatusError struct {
	Code int
	Body []byte
}

func (e *StatusError) Error() string {
	msg := strings.TrimSpace(string(e.Body))
	if len(msg) > 512 {
		msg = msg[:512]
		for !utf8.ValidString(msg) {
			msg = msg[:len(msg)-1]
		}
		msg += "..."
	}
	if msg == "" {
		return fmt.Sprintf("%d %s", e.Code, http.StatusText(e.Code))
	}
	return fmt.Sprintf("%d %s: %s", e.Code, http.StatusText(e.Code), msg)
}

// HTTPInvoker posts requests to a serving process's /invocations (ModelClientConfig:
// a timeout per attempt, and retries of attempts that fail without a client error).
type HTTPInvoker struct {
	Client *http.Client
	// URL is the process's base URL (http://127.0.0.1:<port>).
	URL         string
	ContentType string
	Accept      string
	// Timeout bounds one attempt (InvocationsTimeoutInSeconds; 0: none).
	Timeout time.Duration
	// MaxRetries is InvocationsMaxRetries.
	MaxRetries int
	// Down, when closed, says the process has ended: requests fail with ErrFatal.
	Down <-chan struct{}
	// DownReason says why (the process's exit and log tail) once Down is closed.
	DownReason func() string
}

// Invoke sends one request.
func (h *HTTPInvoker) Invoke(ctx context.Context, body []byte) ([]byte, error) {
	var last error
	for attempt := 0; attempt <= h.MaxRetries; attempt++ {
		if err := h.down(); err != nil {
			return nil, err
		}
		resp, err := h.once(ctx, body)
		if err == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, context.Cause(ctx)
		}
		last = err
		var se *StatusError
		if errors.As(err, &se) && se.Code < 500 {
			// The container refused the request (413, 415, 400...): it would again.
			return nil, err
		}
		if attempt < h.MaxRetries && !h.wait(ctx, time.Duration(attempt+1)*retryBackoff) {
			return nil, context.Cause(ctx)
		}
	}
	var se *StatusError
	if !errors.As(last, &se) {
		// A request that could not reach the process: if the process has just died,
		// say so rather than "connection refused".
		h.wait(ctx, downGrace)
	}
	if err := h.down(); err != nil {
		return nil, err
	}
	return nil, last
}

// retryBackoff spaces the retries of a request; downGrace is how long a request that
// could not reach the process waits to learn whether the process has ended.
const (
	retryBackoff = 100 * time.Millisecond
	downGrace    = 2 * time.Second
)

// wait waits d, or less if the process ends; false if ctx ended.
func (h *HTTPInvoker) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-h.Down:
	case <-ctx.Done():
		return false
	}
	return true
}

func (h *HTTPInvoker) down() error {
	if h.Down == nil {
		return nil
	}
	select {
	case <-h.Down:
		reason := "the serving process exited"
		if h.DownReason != nil {
			reason = h.DownReason()
		}
		return fmt.Errorf("%w: %s", ErrFatal, reason)
	default:
		return nil
	}
}

func (h *HTTPInvoker) once(ctx context.Context, body []byte) ([]byte, error) {
	if h.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.Timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL+"/invocations", bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	if h.ContentType != "" {
		req.Header.Set("Content-Type", h.ContentType)
	}
	if h.Accept != "" {
		req.Header.Set("Accept", h.Accept)
	}
	c := h.Client
	if c == nil {
		c = http.DefaultClient
	}
	resp, err := c.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil {
			return nil, fmt.Errorf("the request timed out after %s (InvocationsTimeoutInSeconds)", h.Timeout)
		}
		return nil, err
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	if resp.ContentLength > 0 {
		out.Grow(int(resp.ContentLength))
	}
	if _, err := io.Copy(&out, resp.Body); err != nil {
		return nil, fmt.Errorf("reading the response: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		return nil, &StatusError{Code: resp.StatusCode, Body: out.Bytes()}
	}
	return out.Bytes(), nil
}
