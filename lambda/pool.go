package lambda

import (
	"context"
	"sync"
)

// pool is the execution environments of one function: the idle ones wait for the next
// invocation; at most MaxEnvironments exist at once.
type pool struct {
	s    *Service
	name string

	mu     sync.Mutex
	idle   []*environment // most recently used last
	all    map[*environment]struct{}
	count  int           // environments starting or running
	freed  chan struct{} // closed (and replaced) when an environment is released or ends
	closed bool
}

func newPool(s *Service, name string) *pool {
	return &pool{s: s, name: name, all: map[*environment]struct{}{}, freed: make(chan struct{})}
}

// signal wakes the invocations waiting for an environment; p.mu is held.
func (p *pool) signal() {
	close(p.freed)
	p.freed = make(chan struct{})
}

// acquire returns an environment for the function's current revision that serves no
// invocation: an idle one, a new one, or the first one freed.
func (p *pool) acquire(ctx context.Context, doc *functionDoc) (*environment, error) {
	for {
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil, errStopped
		}
		var got *environment
		var stale []*environment
		for len(p.idle) > 0 && got == nil {
			e := p.idle[len(p.idle)-1]
			p.idle = p.idle[:len(p.idle)-1]
			if e.idleStop != nil {
				e.idleStop()
				e.idleStop = nil
			}
			if e.revision == doc.Configuration.RevisionID {
				got = e
			} else {
				stale = append(stale, e)
			}
		}
		start := got == nil && p.count < p.s.cfg.MaxEnvironments
		if start {
			p.count++
		}
		wait := p.freed
		p.mu.Unlock()
		for _, e := range stale {
			e.stop()
		}
		switch {
		case got != nil:
			return got, nil
		case start:
			e, err := p.startEnvironment(ctx, doc)
			p.mu.Lock()
			if err != nil {
				p.count--
				p.signal()
				p.mu.Unlock()
				return nil, err
			}
			p.all[e] = struct{}{}
			closed := p.closed
			p.mu.Unlock()
			go e.watch()
			if closed {
				e.stop()
				return nil, errStopped
			}
			return e, nil
		}
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// release returns an environment after an invocation; one that ended is dropped.
func (p *pool) release(e *environment) {
	select {
	case <-e.stopped:
		return // ended: watch takes it out
	default:
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		go e.stop()
		return
	}
	p.idle = append(p.idle, e)
	e.idleStop = p.s.cfg.Clock.AfterFunc(p.s.cfg.IdleTimeout, func() { p.expire(e) })
	p.signal()
}

// expire ends an environment that stayed idle.
func (p *pool) expire(e *environment) {
	p.mu.Lock()
	found := false
	for i, x := range p.idle {
		if x == e {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			found = true
			break
		}
	}
	p.mu.Unlock()
	if found {
		e.stop()
	}
}

// ended takes an environment whose process ended out of the pool.
func (p *pool) ended(e *environment) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.all[e]; !ok {
		return
	}
	delete(p.all, e)
	for i, x := range p.idle {
		if x == e {
			p.idle = append(p.idle[:i], p.idle[i+1:]...)
			break
		}
	}
	p.count--
	p.signal()
}

// shutdown ends every environment of the pool and refuses new invocations.
func (p *pool) shutdown() {
	p.mu.Lock()
	p.closed = true
	envs := make([]*environment, 0, len(p.all))
	for e := range p.all {
		envs = append(envs, e)
	}
	p.idle = nil
	p.signal()
	p.mu.Unlock()
	for _, e := range envs {
		e.stop()
	}
	for _, e := range envs {
		<-e.job.Done()
	}
}
