package engine

import (
	"sync"
	"sync/atomic"
)

// The engine counts the lanes of an execution that can make progress. A lane that waits
// on the clock or on a task is not counted; whatever wakes it counts it again before the
// lane runs. When the count is zero the execution is blocked on time or on the outside
// world, so a manual clock may be advanced without racing the engine.

// waker re-counts a blocked lane exactly once, whichever source wakes it first.
type waker struct {
	busy *atomic.Int64
	once sync.Once
}

// block marks the current lane as waiting.
func (x *Execution) block() *waker {
	x.busy.Add(-1)
	return &waker{busy: &x.busy}
}

func (w *waker) wake() {
	w.once.Do(func() { w.busy.Add(1) })
}

// Busy reports how many lanes of the execution can make progress now (0 when every lane
// waits on a timer or a task, or the execution has ended).
func (x *Execution) Busy() int64 { return x.busy.Load() }

// spawn counts n new lanes and returns the waker of the lane that waits for them.
func (x *Execution) spawn(n int) *waker {
	x.busy.Add(int64(n))
	return x.block()
}

// exit ends a spawned lane; the last one to end wakes the waiting parent first, so the
// count never drops to zero while the parent is about to run.
func (x *Execution) exit(remaining *atomic.Int64, parent *waker) {
	if remaining.Add(-1) == 0 {
		parent.wake()
	}
	x.busy.Add(-1)
}
