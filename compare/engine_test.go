package compare

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/backends/momento"
	"github.com/counterlab/counterlab/backends/redis"
	"github.com/counterlab/counterlab/emulator"
)

// quiet discards the backends' logs.
var quiet = slog.New(slog.DiscardHandler)

// redisOnMiniredis returns the Redis backend on a fresh miniredis.
func redisOnMiniredis(t *testing.T) (*redis.Backend, *miniredis.Miniredis) {
	t.Helper()
	m := miniredis.RunT(t)
	b, err := redis.New(context.Background(), redis.Options{URL: "redis://" + m.Addr(),
		Kind: backends.KindEmbedded, Logger: quiet})
	if err != nil {
		t.Fatalf("redis.New: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b, m
}

// momentoOnEmulator returns the Momento backend on a fresh emulator.
func momentoOnEmulator(t *testing.T) (*momento.Backend, *emulator.Server) {
	t.Helper()
	s := emulator.RunT(t)
	b, err := momento.New(context.Background(), momento.Options{Endpoint: s.Addr(),
		Kind: backends.KindEmbedded, Logger: quiet})
	if err != nil {
		t.Fatalf("momento.New: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b, s
}

// runToEnd starts spec and waits for the run to end.
func runToEnd(t *testing.T, m *Manager, spec Spec) RunState {
	t.Helper()
	r, err := m.Start(spec)
	if err != nil {
		t.Fatalf("Start(%+v): %v", spec, err)
	}
	select {
	case <-r.Done():
	case <-time.After(60 * time.Second):
		t.Fatalf("run %s did not end within 60s", r.ID())
	}
	return r.State()
}

func refs(t *testing.T, names ...string) []Ref {
	t.Helper()
	out := make([]Ref, len(names))
	for i, n := range names {
		r, err := ParseRef(n)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = r
	}
	return out
}

// resultOf finds a strategy's result.
func resultOf(t *testing.T, s RunState, name string) Result {
	t.Helper()
	for _, r := range s.Results {
		if r.Ref().String() == name {
			return r
		}
	}
	t.Fatalf("no result for %s in %+v", name, s.Results)
	return Result{}
}

func TestRunRedisHotCounter(t *testing.T) {
	b, m := redisOnMiniredis(t)
	mgr := NewManager([]backends.Backend{b}, Options{})
	t.Cleanup(mgr.Close)

	s := runToEnd(t, mgr, Spec{
		Workload:   Workload{Workers: 8, Increments: 300, Keys: 1, Max: 120},
		Strategies: refs(t, "redis/incr", "redis/lua"),
	})

	if s.State != StateDone || s.Percent != 100 {
		t.Fatalf("got state %s at %.0f%%, want done at 100%%", s.State, s.Percent)
	}
	incr := resultOf(t, s, "redis/incr")
	if incr.Verdict.ID != VerdictCorrect || incr.Final != 300 || incr.Outcomes["ok"] != 300 {
		t.Errorf("incr: got verdict %s final %d ok %d, want correct 300 300",
			incr.Verdict.ID, incr.Final, incr.Outcomes["ok"])
	}
	if incr.Max != 0 || incr.RoundTrips != 1 || incr.Attempts != 1 {
		t.Errorf("incr: got max %d round trips %v attempts %v, want 0, 1, 1",
			incr.Max, incr.RoundTrips, incr.Attempts)
	}
	if incr.Latency.Count != 300 || incr.Latency.P50 <= 0 || incr.Latency.Max < incr.Latency.P99 {
		t.Errorf("incr: got latency %+v, want 300 samples, p50 > 0, max >= p99", incr.Latency)
	}
	if incr.Throughput <= 0 || incr.Completed != 300 || incr.StoppedEarly {
		t.Errorf("incr: got throughput %v completed %d stopped early %v",
			incr.Throughput, incr.Completed, incr.StoppedEarly)
	}

	lua := resultOf(t, s, "redis/lua")
	if lua.Verdict.ID != VerdictCorrect || lua.Final != 120 || lua.Max != 120 {
		t.Errorf("lua: got verdict %s final %d max %d, want correct 120 120",
			lua.Verdict.ID, lua.Final, lua.Max)
	}
	if lua.Outcomes["ok"] != 120 || lua.Outcomes["limit_reached"] != 180 {
		t.Errorf("lua: got outcomes %v, want 120 ok and 180 limit_reached", lua.Outcomes)
	}

	// The run's counters were deleted afterwards.
	if keys := m.Keys(); len(keys) != 0 {
		t.Errorf("got keys %v left in Redis, want none", keys)
	}
}

func TestRunManyCounters(t *testing.T) {
	b, _ := redisOnMiniredis(t)
	mgr := NewManager([]backends.Backend{b}, Options{})
	t.Cleanup(mgr.Close)

	s := runToEnd(t, mgr, Spec{
		Workload:   Workload{Workers: 4, Increments: 100, Keys: 7},
		Strategies: refs(t, "redis/incr"),
	})

	r := resultOf(t, s, "redis/incr")
	if r.Verdict.ID != VerdictCorrect || r.Final != 100 {
		t.Errorf("got verdict %s final %d, want correct 100", r.Verdict.ID, r.Final)
	}
}

// TestPublishedAlgorithmLosesUpdates delays every conditional write on the
// emulator so that concurrent clients all read the counter before any of
// them writes: the published algorithm then writes the same value several
// times, while the compare-and-swap retries and stays correct.
func TestPublishedAlgorithmLosesUpdates(t *testing.T) {
	b, srv := momentoOnEmulator(t)
	srv.AddFault(emulator.Fault{RPC: "set-if", Delay: 30 * time.Millisecond})
	var observed atomic.Int64
	mgr := NewManager([]backends.Backend{b}, Options{Observe: func(Ref, Outcome, time.Duration) {
		observed.Add(1)
	}})
	t.Cleanup(mgr.Close)

	s := runToEnd(t, mgr, Spec{
		Workload: Workload{Workers: 6, Increments: 30, Keys: 1, Max: 1000},
		Strategies: refs(t, "momento/increment", "momento/set-if-present-and-not-equal",
			"momento/set-if-equal"),
	})

	lost := resultOf(t, s, "momento/set-if-present-and-not-equal")
	if lost.Verdict.ID != VerdictLostUpdates || lost.Verdict.Evidence.Lost == 0 {
		t.Fatalf("published algorithm: got verdict %s (%s), want lost_updates",
			lost.Verdict.ID, lost.Verdict.Summary)
	}
	if lost.Verdict.Evidence.DuplicateValues == 0 {
		t.Errorf("published algorithm: got no repeated values, want some: %+v",
			lost.Verdict.Evidence)
	}
	for _, name := range []string{"momento/increment", "momento/set-if-equal"} {
		r := resultOf(t, s, name)
		acked := r.Outcomes["ok"]
		if r.Verdict.ID != VerdictCorrect || r.Final != acked || acked == 0 {
			t.Errorf("%s: got verdict %s (%s) final %d acknowledged %d, want correct",
				name, r.Verdict.ID, r.Verdict.Summary, r.Final, acked)
		}
	}
	if got := observed.Load(); got != 90 {
		t.Errorf("got %d increments observed, want 90", got)
	}
	if cas := resultOf(t, s, "momento/set-if-equal"); cas.Attempts <= 1 {
		t.Errorf("set-if-equal: got %.2f attempts per increment, want retries (> 1)",
			cas.Attempts)
	}
}

func TestBusyAndCancel(t *testing.T) {
	b, srv := momentoOnEmulator(t)
	srv.AddFault(emulator.Fault{RPC: "increment", Delay: 20 * time.Millisecond})
	mgr := NewManager([]backends.Backend{b}, Options{})
	t.Cleanup(mgr.Close)

	spec := Spec{
		Workload:   Workload{Workers: 2, Increments: 100_000, Keys: 1, Max: 10},
		Strategies: refs(t, "momento/increment", "momento/set-if-equal"),
	}
	r, err := mgr.Start(spec)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}

	_, err = mgr.Start(spec)
	if got := backends.ErrorCode(err); got != CodeBusy {
		t.Fatalf("second Start: got %v, want code busy", err)
	}

	waitForEvent(t, r, EventProgress)
	if !r.Cancel() {
		t.Fatal("Cancel: got false, want true while the run goes")
	}
	<-r.Done()
	s := r.State()
	if s.State != StateCancelled {
		t.Fatalf("got state %s, want cancelled", s.State)
	}
	if st := s.Results[0].Status; st != StatusCancelled {
		t.Errorf("got first strategy %s, want cancelled", st)
	}
	if st := s.Results[1].Status; st != StatusSkipped {
		t.Errorf("got second strategy %s, want skipped", st)
	}
	first := s.Results[0]
	if first.Completed == 0 || first.Completed >= 100_000 {
		t.Errorf("got %d increments completed, want some but not all", first.Completed)
	}
	// Increments cut short may or may not have been applied: the checker
	// still judges what happened, and never calls it lost.
	if v := first.Verdict.ID; v != VerdictCorrect && v != VerdictInconclusive {
		t.Errorf("got verdict %s (%s), want correct or inconclusive", v, first.Verdict.Summary)
	}
	if r.Cancel() {
		t.Error("Cancel after the end: got true, want false")
	}

	// The manager is free again.
	r2, err := mgr.Start(Spec{Workload: Workload{Workers: 1, Increments: 1, Keys: 1},
		Strategies: refs(t, "momento/increment")})
	if err != nil {
		t.Fatalf("Start after cancel: %v", err)
	}
	<-r2.Done()
}

func TestDurationCap(t *testing.T) {
	b, srv := momentoOnEmulator(t)
	srv.AddFault(emulator.Fault{RPC: "increment", Delay: 10 * time.Millisecond})
	mgr := NewManager([]backends.Backend{b}, Options{})
	t.Cleanup(mgr.Close)

	s := runToEnd(t, mgr, Spec{
		Workload: Workload{Workers: 2, Increments: 10_000, Keys: 1,
			Duration: 300 * time.Millisecond},
		Strategies: refs(t, "momento/increment"),
	})

	r := resultOf(t, s, "momento/increment")
	if !r.StoppedEarly || r.Completed >= 10_000 || r.Completed == 0 {
		t.Errorf("got stopped early %v after %d increments, want true and fewer than 10000",
			r.StoppedEarly, r.Completed)
	}
	if r.Verdict.ID != VerdictCorrect || r.Final != r.Completed {
		t.Errorf("got verdict %s final %d completed %d, want correct with final = completed",
			r.Verdict.ID, r.Final, r.Completed)
	}
	if s.State != StateDone {
		t.Errorf("got state %s, want done", s.State)
	}
}

func TestEventsTellTheRun(t *testing.T) {
	b, _ := redisOnMiniredis(t)
	mgr := NewManager([]backends.Backend{b}, Options{})
	t.Cleanup(mgr.Close)

	s := runToEnd(t, mgr, Spec{Workload: Workload{Workers: 2, Increments: 50, Keys: 1}})
	r, ok := mgr.Run(s.ID)
	if !ok {
		t.Fatalf("Run(%s): not found", s.ID)
	}
	events, _, ended := r.Events(0)
	if !ended {
		t.Fatal("got events not ended after the run, want ended")
	}

	var types []string
	for i, e := range events {
		if e.Seq != i {
			t.Errorf("got event %d numbered %d", i, e.Seq)
		}
		if e.Type != EventProgress {
			types = append(types, e.Type)
		}
	}
	// No max: only the unconditional redis strategy runs.
	want := []string{EventRunStarted, EventStrategyStarted, EventStrategyFinished, EventRunFinished}
	if len(types) != len(want) {
		t.Fatalf("got events %v, want %v", types, want)
	}
	for i := range want {
		if types[i] != want[i] {
			t.Fatalf("got events %v, want %v", types, want)
		}
	}
	last := events[len(events)-1]
	if last.State != StateDone || last.Percent != 100 {
		t.Errorf("got last event %+v, want done at 100%%", last)
	}
	if fin := events[len(events)-2]; fin.Result == nil || fin.Result.Final != 50 {
		t.Errorf("got strategy-finished %+v, want its result with final 50", fin)
	}

	rest, _, _ := r.Events(len(events) - 1)
	if len(rest) != 1 || rest[0].Type != EventRunFinished {
		t.Errorf("got events from the last on %+v, want only run-finished", rest)
	}
}

func TestStartRefusesBadSpecs(t *testing.T) {
	b, _ := redisOnMiniredis(t)
	mgr := NewManager([]backends.Backend{b}, Options{Limits: Limits{MaxWorkers: 4,
		MaxIncrements: 100, MaxKeys: 5, MaxDuration: time.Second}})
	t.Cleanup(mgr.Close)

	w := Workload{Workers: 1, Increments: 1, Keys: 1}
	tests := []struct {
		name  string
		spec  Spec
		code  backends.Code
		field string
	}{
		{"too many workers", Spec{Workload: Workload{Workers: 5, Increments: 1, Keys: 1}},
			backends.CodeInvalidInput, "workers"},
		{"no workers", Spec{Workload: Workload{Increments: 1, Keys: 1}},
			backends.CodeInvalidInput, "workers"},
		{"too many increments", Spec{Workload: Workload{Workers: 1, Increments: 101, Keys: 1}},
			backends.CodeInvalidInput, "increments"},
		{"too many keys", Spec{Workload: Workload{Workers: 1, Increments: 1, Keys: 6}},
			backends.CodeInvalidInput, "keys"},
		{"too long", Spec{Workload: Workload{Workers: 1, Increments: 1, Keys: 1,
			Duration: 2 * time.Second}}, backends.CodeInvalidInput, "durationSeconds"},
		{"negative max", Spec{Workload: Workload{Workers: 1, Increments: 1, Keys: 1, Max: -1}},
			backends.CodeInvalidInput, "max"},
		{"conditional without max", Spec{Workload: w, Strategies: refs(t, "redis/lua")},
			backends.CodeInvalidInput, "max"},
		{"unknown strategy", Spec{Workload: w, Strategies: refs(t, "redis/nope")},
			backends.CodeInvalidInput, "strategies"},
		{"another backend's strategy", Spec{Workload: w, Strategies: refs(t, "redis/add")},
			backends.CodeInvalidInput, "strategies"},
		{"backend not served", Spec{Workload: w, Strategies: refs(t, "momento/increment")},
			backends.CodeUnknownBackend, "strategies"},
		{"twice", Spec{Workload: w, Strategies: refs(t, "redis/incr", "redis/incr")},
			backends.CodeInvalidInput, "strategies"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mgr.Start(tt.spec)
			var e *backends.Error
			if !errors.As(err, &e) || e.Code != tt.code {
				t.Fatalf("got %v, want code %s", err, tt.code)
			}
			if e.Details["field"] != tt.field {
				t.Errorf("got field %v, want %s", e.Details["field"], tt.field)
			}
		})
	}
}

func TestParseRef(t *testing.T) {
	for _, bad := range []string{"", "redis", "/incr", "redis/"} {
		if _, err := ParseRef(bad); backends.ErrorCode(err) != backends.CodeInvalidInput {
			t.Errorf("ParseRef(%q): got %v, want invalid_input", bad, err)
		}
	}
	r, err := ParseRef(" momento/set-if-equal ")
	if err != nil || r.Backend != "momento" || r.Strategy != "set-if-equal" {
		t.Errorf("got %+v, %v, want momento and set-if-equal", r, err)
	}
}

// waitForEvent waits until the run has published an event of the type.
func waitForEvent(t *testing.T, r *Run, typ string) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	seen := 0
	for {
		events, wake, ended := r.Events(seen)
		for _, e := range events {
			if e.Type == typ {
				return
			}
		}
		seen += len(events)
		if ended {
			t.Fatalf("run ended without a %s event", typ)
		}
		select {
		case <-wake:
		case <-deadline:
			t.Fatalf("no %s event within 30s", typ)
		}
	}
}

// cancelledRun checks a run cancelled soon after it started: only the
// increments that ran are counted, and at most one per worker was cut short.
func checkCancelled(t *testing.T, res Result, workers int, total int64) {
	t.Helper()
	if res.Status != StatusCancelled {
		t.Errorf("got status %s, want cancelled", res.Status)
	}
	if res.Completed == 0 || res.Completed > total/2 {
		t.Errorf("got %d of %d increments completed, want some and far fewer than all",
			res.Completed, total)
	}
	var sum int64
	for _, n := range res.Outcomes {
		sum += n
	}
	if sum != res.Completed {
		t.Errorf("got outcomes %v summing to %d, want completed %d", res.Outcomes, sum,
			res.Completed)
	}
	for _, o := range []Outcome{OutcomeUnavailable, OutcomeUnknown, OutcomeOther} {
		if n := res.Outcomes[o.String()]; n > int64(workers) {
			t.Errorf("got %d %s, want at most %d (the increments in flight)", n, o, workers)
		}
	}
}

func TestCancelRecordsOnlyWhatRan(t *testing.T) {
	b, _ := redisOnMiniredis(t)
	var observed atomic.Int64
	var failed atomic.Int64
	obs := func(_ Ref, o Outcome, _ time.Duration) {
		observed.Add(1)
		if o != OutcomeOK {
			failed.Add(1)
		}
	}
	mgr := NewManager([]backends.Backend{b}, Options{Observe: obs})
	t.Cleanup(mgr.Close)

	const workers, total = 64, 1_000_000
	r, err := mgr.Start(Spec{Workload: Workload{Workers: workers, Increments: total, Keys: 1},
		Strategies: refs(t, "redis/incr")})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	waitForEvent(t, r, EventProgress)
	r.Cancel()
	<-r.Done()

	s := r.State()
	res := resultOf(t, s, "redis/incr")
	checkCancelled(t, res, workers, total)
	if got := observed.Load(); got != res.Completed {
		t.Errorf("got %d increments observed, want completed %d", got, res.Completed)
	}
	if got := failed.Load(); got > workers {
		t.Errorf("got %d failures observed, want at most %d", got, workers)
	}
	if want := 100 * float64(res.Completed) / total; s.Percent > want+0.01 {
		t.Errorf("got percent %.2f, want %.2f (what ran)", s.Percent, want)
	}
}
