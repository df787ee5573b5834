package clock

import (
	"testing"
	"time"
)

func TestManualFiresTimersInOrder(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m := NewManual(start)
	a := m.After(2 * time.Second)
	b := m.After(time.Second)
	if !m.AdvanceToNext() {
		t.Fatal("no timer")
	}
	select {
	case <-b:
	default:
		t.Fatal("the 1s timer should have fired")
	}
	select {
	case <-a:
		t.Fatal("the 2s timer fired early")
	default:
	}
	m.AdvanceToNext()
	<-a
	if got := m.Now().Sub(start); got != 2*time.Second {
		t.Fatalf("clock at %v", got)
	}
	if m.AdvanceToNext() {
		t.Fatal("no timer should be left")
	}
}

func TestScaledShortensWaits(t *testing.T) {
	t.Parallel()
	m := NewManual(time.Unix(0, 0))
	s := Scaled{Base: m, Factor: 0.5}
	ch := s.After(4 * time.Second)
	m.Advance(2 * time.Second)
	<-ch
}
