package compare

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"time"

	"github.com/counterlab/counterlab/backends"
)

// CodeBusy answers a run started while another one runs.
const CodeBusy backends.Code = "busy"

// Run states.
const (
	StateRunning   = "running"
	StateDone      = "done"
	StateCancelled = "cancelled"
)

// Options configure a Manager.
type Options struct {
	// Limits bound every run; zero fields take the defaults.
	Limits Limits
	// Logger receives one line per run started and finished; nil discards.
	Logger *slog.Logger
	// Observe, when set, is told about every increment.
	Observe Observer
}

// Manager runs at most one run at a time and keeps the last finished ones
// readable.
type Manager struct {
	byName map[string]backends.Backend
	limits Limits
	log    *slog.Logger
	obs    Observer

	mu     sync.Mutex
	runs   map[string]*Run
	order  []string // oldest first
	active *Run
	closed bool
	wg     sync.WaitGroup
}

// NewManager returns a manager running on the backends.
func NewManager(bs []backends.Backend, opts Options) *Manager {
	m := &Manager{
		byName: make(map[string]backends.Backend, len(bs)),
		limits: opts.Limits.withDefaults(),
		log:    opts.Logger,
		obs:    opts.Observe,
		runs:   map[string]*Run{},
	}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	for _, b := range bs {
		m.byName[b.Name()] = b
	}
	return m
}

// Limits returns the limits every run is held to.
func (m *Manager) Limits() Limits { return m.limits }

// Start validates spec and starts a run in the background. It fails with
// invalid_input or unknown_backend for a bad spec, and with busy while
// another run is going.
func (m *Manager) Start(spec Spec) (*Run, error) {
	present := make(map[string]bool, len(m.byName))
	for name := range m.byName {
		present[name] = true
	}
	strategies, err := spec.Resolve(m.limits, present)
	if err != nil {
		return nil, err
	}
	if len(spec.Strategies) == 0 {
		for _, s := range strategies {
			spec.Strategies = append(spec.Strategies, ref(s))
		}
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		return nil, backends.Errorf(backends.CodeUnavailable, "the server is shutting down")
	}
	if m.active != nil {
		return nil, backends.Errorf(CodeBusy,
			"run %s is going; wait for it or cancel it (one run at a time)", m.active.id).
			With("run", m.active.id)
	}

	ctx, cancel := context.WithCancel(context.Background())
	targets := map[string]backends.Target{}
	for _, st := range strategies {
		targets[st.Backend] = m.byName[st.Backend].Target()
	}
	r := newRun(newRunID(), spec, strategies, targets, cancel)
	m.active = r
	m.runs[r.id] = r
	m.order = append(m.order, r.id)
	m.prune()

	m.wg.Go(func() { m.execute(ctx, r) })
	return r, nil
}

// Run returns the run with the id, if it is still kept.
func (m *Manager) Run(id string) (*Run, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()

	r, ok := m.runs[id]
	return r, ok
}

// Runs returns the runs kept, newest first.
func (m *Manager) Runs() []*Run {
	m.mu.Lock()
	defer m.mu.Unlock()

	out := make([]*Run, 0, len(m.order))
	for i := len(m.order) - 1; i >= 0; i-- {
		out = append(out, m.runs[m.order[i]])
	}
	return out
}

// Active returns the run going now, if any.
func (m *Manager) Active() *Run {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.active
}

// Close cancels the run going, if any, waits for it to end and refuses new
// runs.
func (m *Manager) Close() {
	m.mu.Lock()
	m.closed = true
	if m.active != nil {
		m.active.Cancel()
	}
	m.mu.Unlock()

	m.wg.Wait()
}

// prune forgets the oldest finished runs beyond the limit. m.mu is held.
func (m *Manager) prune() {
	for len(m.order) > m.limits.KeepRuns {
		id := m.order[0]
		if m.runs[id] == m.active {
			return
		}
		delete(m.runs, id)
		m.order = m.order[1:]
	}
}

// execute runs every strategy in turn, splitting what is left of the run's
// time evenly over the strategies not yet run.
func (m *Manager) execute(ctx context.Context, r *Run) {
	deadline := time.Now().Add(m.limits.MaxDuration)
	m.log.Info("run started", "run", r.id, "workload", r.spec.Workload.String(),
		"strategies", len(r.strategies))
	r.events.add(Event{Type: EventRunStarted, Index: -1, State: StateRunning})

	for i, st := range r.strategies {
		if ctx.Err() != nil {
			r.skipRest(i)
			break
		}

		budget := max(0, time.Until(deadline)/time.Duration(len(r.strategies)-i))
		if d := r.spec.Duration; d > 0 && d < budget {
			budget = d
		}
		r.startStrategy(i)
		res := execute(ctx, job{
			backend:  m.byName[st.Backend],
			strategy: st,
			workload: r.spec.Workload,
			ids:      counterIDs(r.id, i, r.spec.Keys),
			until:    time.Now().Add(budget),
			observe:  m.obs,
			progress: func(c int64) { r.progress(i, c) },
		})
		r.finishStrategy(i, res)
		m.log.Info("strategy finished", "run", r.id, "strategy", ref(st).String(),
			"status", res.Status, "verdict", res.Verdict.ID, "summary", res.Verdict.Summary,
			"completed", res.Completed, "throughput", int64(res.Throughput))
	}

	// Free the one-run slot before Done closes: a caller that sees the run
	// done may start the next one at once.
	m.mu.Lock()
	m.active = nil
	m.prune()
	m.mu.Unlock()

	state := r.finish(ctx.Err() != nil)
	m.log.Info("run finished", "run", r.id, "state", state)
}

// newRunID returns 12 random hex digits.
func newRunID() string {
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// Run is one comparison. Its methods are safe for concurrent use.
type Run struct {
	id         string
	spec       Spec
	strategies []backends.Strategy
	targets    map[string]backends.Target
	created    time.Time
	cancel     context.CancelFunc
	done       chan struct{}
	events     *eventLog

	mu       sync.Mutex
	state    string
	finished time.Time
	results  []Result
	current  int
	percent  float64
}

func newRun(id string, spec Spec, strategies []backends.Strategy,
	targets map[string]backends.Target, cancel context.CancelFunc) *Run {
	r := &Run{
		id:         id,
		targets:    targets,
		spec:       spec,
		strategies: strategies,
		created:    time.Now().UTC(),
		cancel:     cancel,
		done:       make(chan struct{}),
		events:     newEventLog(),
		state:      StateRunning,
		current:    -1,
		results:    make([]Result, len(strategies)),
	}
	for i, st := range strategies {
		r.results[i] = job{strategy: st, workload: spec.Workload}.result()
		r.results[i].Status = StatusPending
	}
	return r
}

// ID returns the run's id.
func (r *Run) ID() string { return r.id }

// Done is closed when the run has ended.
func (r *Run) Done() <-chan struct{} { return r.done }

// Cancel stops the run: increments in flight are cancelled, strategies not
// started are skipped. It reports false when the run had already ended.
func (r *Run) Cancel() bool {
	select {
	case <-r.done:
		return false
	default:
		r.cancel()
		return true
	}
}

// Events returns the events numbered from and after, a channel closed when
// more come, and whether the run has ended (no more will come).
func (r *Run) Events(from int) ([]Event, <-chan struct{}, bool) {
	return r.events.since(from)
}

// State returns a copy of the run as the API shows it.
func (r *Run) State() RunState {
	r.mu.Lock()
	defer r.mu.Unlock()

	s := RunState{
		ID:        r.id,
		State:     r.state,
		Spec:      r.spec.JSON(),
		CreatedAt: r.created,
		Percent:   r.percent,
		Current:   r.current,
		Results:   append([]Result(nil), r.results...),
		Targets:   r.targets,
	}
	if !r.finished.IsZero() {
		f := r.finished
		s.FinishedAt = &f
	}
	return s
}

func (r *Run) startStrategy(i int) {
	r.mu.Lock()
	r.current = i
	r.results[i].Status = StatusRunning
	pct := r.percentLocked(i, 0)
	r.mu.Unlock()

	r.events.add(Event{Type: EventStrategyStarted, Index: i,
		Strategy: ref(r.strategies[i]).String(), Percent: pct})
}

// progress records that completed increments of strategy i have ended.
func (r *Run) progress(i int, completed int64) {
	frac := float64(completed) / float64(r.spec.Increments)
	r.mu.Lock()
	pct := r.percentLocked(i, frac)
	changed := pct != r.percent
	r.percent = pct
	r.mu.Unlock()

	if changed {
		r.events.add(Event{Type: EventProgress, Index: i,
			Strategy: ref(r.strategies[i]).String(),
			Percent:  pct, StrategyPercent: 100 * frac})
	}
}

// percentLocked is the share of the run done when strategy i is frac done.
func (r *Run) percentLocked(i int, frac float64) float64 {
	return 100 * (float64(i) + frac) / float64(len(r.strategies))
}

// finishStrategy keeps strategy i's result. A cancelled strategy stays at
// the share of its increments that ran.
func (r *Run) finishStrategy(i int, res Result) {
	frac := 1.0
	if res.Status == StatusCancelled {
		frac = float64(res.Completed) / float64(r.spec.Increments)
	}
	r.mu.Lock()
	r.results[i] = res
	r.percent = r.percentLocked(i, frac)
	pct := r.percent
	r.mu.Unlock()

	r.events.add(Event{Type: EventStrategyFinished, Index: i,
		Strategy: res.Ref().String(), Percent: pct, StrategyPercent: 100 * frac, Result: &res})
}

// skipRest marks the strategies from i on as skipped.
func (r *Run) skipRest(i int) {
	r.mu.Lock()
	defer r.mu.Unlock()

	for ; i < len(r.results); i++ {
		r.results[i].Status = StatusSkipped
	}
}

// finish ends the run and returns its state.
func (r *Run) finish(cancelled bool) string {
	r.mu.Lock()
	r.state = StateDone
	if cancelled {
		r.state = StateCancelled
	} else {
		r.percent = 100
	}
	r.finished = time.Now().UTC()
	r.current = -1
	state, pct := r.state, r.percent
	r.mu.Unlock()

	r.events.add(Event{Type: EventRunFinished, Index: -1, State: state, Percent: pct})
	r.events.close()
	close(r.done)
	return state
}
