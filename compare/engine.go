package compare

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/counterlab/counterlab/backends"
)

// Observer is told about every increment of a run, e.g. to export metrics.
// It is called from many goroutines at once.
type Observer func(r Ref, o Outcome, d time.Duration)

// Timeouts of the engine's own requests.
const (
	// opTimeout bounds one increment; a store that does not answer by then
	// gives an unknown outcome.
	opTimeout = 10 * time.Second
	// readTimeout bounds reading the final values and cleaning up.
	readTimeout = 20 * time.Second
	// readAttempts is how often reading a final value is tried: reads are
	// idempotent, so unlike increments they may be retried.
	readAttempts = 5
	// maxErrors is how many distinct error messages a result keeps.
	maxErrors = 5
)

// job is one strategy's part of a run.
type job struct {
	backend  backends.Backend
	strategy backends.Strategy
	workload Workload
	// ids are the fresh counters, one per key.
	ids []string
	// until stops starting increments; zero means no time cap.
	until    time.Time
	observe  Observer
	progress func(completed int64)
}

// record is one increment as the engine keeps it.
type record struct {
	ran        bool
	outcome    Outcome
	roundTrips uint16
	attempts   uint16
	value      int64
}

// workerState is what one worker gathers, merged at the end.
type workerState struct {
	hist   *hdrhistogram.Histogram
	errors []string
}

// counterIDs returns fresh counter ids for strategy index i of run runID.
func counterIDs(runID string, i, keys int) []string {
	ids := make([]string, keys)
	for k := range ids {
		ids[k] = fmt.Sprintf("cmp-%s-%d-%d", runID, i, k)
	}
	return ids
}

// execute runs the job's increments and judges them. ctx cancels the run:
// increments in flight are cancelled and the rest are not started; only the
// increments sent are counted and judged.
func execute(ctx context.Context, j job) Result {
	r := j.result()
	total := int64(j.workload.Increments)
	recs := make([]record, total)

	var stop atomic.Bool
	defer context.AfterFunc(ctx, func() { stop.Store(true) })()
	if !j.until.IsZero() {
		t := time.AfterFunc(time.Until(j.until), func() { stop.Store(true) })
		defer t.Stop()
	}

	var next, completed atomic.Int64
	tick := j.startProgress(&completed)
	start := time.Now()
	states := make([]workerState, j.workload.Workers)
	var wg sync.WaitGroup
	for w := range states {
		wg.Go(func() {
			states[w] = j.work(ctx, recs, &stop, &next, &completed)
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	tick()

	hist := newHistogram()
	for _, s := range states {
		hist.Merge(s.hist)
		for _, e := range s.errors {
			if len(r.Errors) < maxErrors && !slices.Contains(r.Errors, e) {
				r.Errors = append(r.Errors, e)
			}
		}
	}
	r.Latency = summarise(hist)
	r.Completed = completed.Load()
	r.StoppedEarly = r.Completed < total && ctx.Err() == nil
	r.ElapsedMs = float64(elapsed.Microseconds()) / 1000
	if elapsed > 0 {
		r.Throughput = float64(r.Completed) / elapsed.Seconds()
	}
	r.Status = StatusDone
	if ctx.Err() != nil {
		r.Status = StatusCancelled
	}

	j.judge(ctx, &r, recs)
	return r
}

// result returns the job's empty result.
func (j job) result() Result {
	r := Result{
		Backend:     j.strategy.Backend,
		Strategy:    j.strategy.ID,
		Conditional: j.strategy.Conditional,
		Status:      StatusRunning,
		Outcomes:    map[string]int64{},
	}
	if j.strategy.Conditional {
		r.Max = j.workload.Max
	}
	for _, o := range Outcomes() {
		r.Outcomes[o.String()] = 0
	}
	return r
}

// startProgress reports progress every 100 ms until the returned function is
// called, which reports once more and stops.
func (j job) startProgress(completed *atomic.Int64) func() {
	if j.progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				j.progress(completed.Load())
			case <-done:
				return
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
		j.progress(completed.Load())
	}
}

// work is one worker: it takes the next increment until none is left or
// the run stops.
func (j job) work(ctx context.Context, recs []record, stop *atomic.Bool,
	next, completed *atomic.Int64) workerState {
	s := workerState{hist: newHistogram()}
	rf := ref(j.strategy)
	keys := int64(len(j.ids))
	var bound int64
	if j.strategy.Conditional {
		bound = j.workload.Max
	}

	// The flag alone is not enough: it is set on another goroutine, which
	// may wait its turn while the workers go on taking increments.
	for !stop.Load() && ctx.Err() == nil {
		i := next.Add(1) - 1
		if i >= int64(len(recs)) {
			break
		}

		octx, cancel := context.WithTimeout(ctx, opTimeout)
		t0 := time.Now()
		res, err := j.backend.Increment(octx, j.strategy.ID, j.ids[i%keys], bound)
		d := time.Since(t0)
		cancel()

		o := classify(err)
		if notSent(ctx, o, err) {
			break
		}
		recs[i] = record{ran: true, outcome: o, value: res.Value,
			roundTrips: clampU16(res.RoundTrips), attempts: clampU16(res.Attempts)}
		recordLatency(s.hist, d)
		if j.observe != nil {
			j.observe(rf, o, d)
		}
		if err != nil && len(s.errors) < maxErrors && !slices.Contains(s.errors, err.Error()) {
			s.errors = append(s.errors, err.Error())
		}
		completed.Add(1)
	}
	return s
}

// notSent reports whether an increment failed only because the run was
// cancelled before it was sent: the store never saw it, so it is not part of
// the run. One cut short in flight has its own outcome and stays.
func notSent(ctx context.Context, o Outcome, err error) bool {
	return ctx.Err() != nil && o == OutcomeUnavailable && errors.Is(err, context.Canceled)
}

// judge counts the outcomes, reads the final values back and runs the
// checker.
func (j job) judge(ctx context.Context, r *Result, recs []record) {
	keys := len(j.ids)
	h := History{Conditional: j.strategy.Conditional, Max: r.Max,
		Keys: make([]KeyHistory, keys)}
	var roundTrips, attempts int64
	for i, rec := range recs {
		if !rec.ran {
			continue
		}
		r.Outcomes[rec.outcome.String()]++
		if rec.outcome == OutcomeOK {
			roundTrips += int64(rec.roundTrips)
			attempts += int64(rec.attempts)
		}
		k := &h.Keys[i%keys]
		k.Ops = append(k.Ops, Op{Outcome: rec.outcome, Value: rec.value})
	}
	if ok := r.Outcomes[OutcomeOK.String()]; ok > 0 {
		r.RoundTrips = float64(roundTrips) / float64(ok)
		r.Attempts = float64(attempts) / float64(ok)
	}

	// Reading back and cleaning up go on after a cancel, so that what
	// happened until then is still judged.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readTimeout)
	defer cancel()
	j.readFinals(rctx, h.Keys)
	for _, k := range h.Keys {
		r.Final += k.Final
	}
	r.Verdict = Check(h)
	j.cleanup(rctx)
}

// readFinals reads every counter's final value, a few workers at a time.
func (j job) readFinals(ctx context.Context, keys []KeyHistory) {
	forEach(len(keys), min(j.workload.Workers, 16), func(k int) {
		for a := range readAttempts {
			rd, err := j.backend.Get(ctx, j.ids[k])
			if err == nil {
				keys[k].Final, keys[k].FinalKnown = rd.Value, true
				return
			}
			if ctx.Err() != nil {
				return
			}
			time.Sleep(time.Duration(a+1) * 20 * time.Millisecond)
		}
	})
}

// cleanup deletes the run's counters; a failure only leaves them behind.
func (j job) cleanup(ctx context.Context) {
	forEach(len(j.ids), min(j.workload.Workers, 16), func(k int) {
		for range readAttempts {
			if j.backend.Reset(ctx, j.ids[k]) == nil || ctx.Err() != nil {
				return
			}
		}
	})
}

// forEach calls f(0..n-1) on up to par goroutines.
func forEach(n, par int, f func(int)) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(par, n)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		})
	}
	wg.Wait()
}

// classify maps an increment's error to its outcome.
func classify(err error) Outcome {
	if err == nil {
		return OutcomeOK
	}
	var e *backends.Error
	if errors.As(err, &e) {
		switch e.Code {
		case backends.CodeLimitReached:
			return OutcomeLimitReached
		case backends.CodeConflict:
			return OutcomeConflict
		case backends.CodeUnavailable:
			return OutcomeUnavailable
		case backends.CodeOutcomeUnknown:
			return OutcomeUnknown
		}
		return OutcomeOther
	}
	// A request cut short without the backend saying more may have been
	// applied.
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return OutcomeUnknown
	}
	return OutcomeOther
}

func clampU16(n int) uint16 { return uint16(min(max(n, 0), 1<<16-1)) }
