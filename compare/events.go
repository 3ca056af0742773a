package compare

import (
	"sync"
	"time"
)

// Event types.
const (
	EventRunStarted       = "run-started"
	EventStrategyStarted  = "strategy-started"
	EventProgress         = "progress"
	EventStrategyFinished = "strategy-finished"
	EventRunFinished      = "run-finished"
)

// Event is one step of a run's progress.
type Event struct {
	// Seq numbers a run's events from 0; a client that reconnects passes
	// the last one it saw.
	Seq  int       `json:"seq"`
	Type string    `json:"type"`
	Time time.Time `json:"time"`
	// Index is the strategy's position in the run, -1 for run events.
	Index    int    `json:"index"`
	Strategy string `json:"strategy,omitempty"`
	// Percent is the share of the whole run done, 0 to 100.
	Percent float64 `json:"percent"`
	// StrategyPercent is the share of the current strategy done.
	StrategyPercent float64 `json:"strategyPercent"`
	// State is the run's state, on run events.
	State string `json:"state,omitempty"`
	// Result is the strategy's result, on strategy-finished.
	Result *Result `json:"result,omitempty"`
}

// eventLog keeps a run's events and wakes readers when one is added.
type eventLog struct {
	mu     sync.Mutex
	events []Event
	wake   chan struct{}
	closed bool
}

func newEventLog() *eventLog { return &eventLog{wake: make(chan struct{})} }

// add appends e, numbering and stamping it.
func (l *eventLog) add(e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()

	e.Seq = len(l.events)
	e.Time = time.Now().UTC()
	l.events = append(l.events, e)
	close(l.wake)
	l.wake = make(chan struct{})
}

// close marks the log complete and wakes every reader.
func (l *eventLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()

	if !l.closed {
		l.closed = true
		close(l.wake)
	}
}

// since returns the events numbered from and after, a channel closed when
// more come, and whether the log is complete (no more will come).
func (l *eventLog) since(from int) ([]Event, <-chan struct{}, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()

	from = min(max(from, 0), len(l.events))
	out := append([]Event(nil), l.events[from:]...)
	return out, l.wake, l.closed
}
