package embedded_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/backends/dynamodb"
	"github.com/counterlab/counterlab/backends/embedded"
	"github.com/counterlab/counterlab/backends/momento"
	"github.com/counterlab/counterlab/backends/redis"
	"github.com/counterlab/counterlab/compare"
)

var quiet = slog.New(slog.DiscardHandler)

// faultTargets starts every embedded target and opens the three backends on
// them through their real clients.
func faultTargets(t *testing.T) (*embedded.Targets, map[string]backends.Backend) {
	t.Helper()
	ts, err := embedded.Start(embedded.All())
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = ts.Close() })

	ctx := context.Background()
	r, err := redis.New(ctx, redis.Options{URL: "redis://" + ts.RedisAddr, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	d, err := dynamodb.New(ctx, dynamodb.Options{Endpoint: ts.DynamoDBURL, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	m, err := momento.New(ctx, momento.Options{Endpoint: ts.MomentoAddr, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	bs := map[string]backends.Backend{"redis": r, "dynamodb": d, "momento": m}
	for _, b := range bs {
		t.Cleanup(func() { _ = b.Close() })
		if err := b.Health(ctx); err != nil {
			t.Fatalf("%s health: %v", b.Name(), err)
		}
	}
	return ts, bs
}

// unconditional returns the backend's unconditional strategy.
func unconditional(name string) string {
	s, _ := backends.LookupStrategy(name, "", false)
	return s.ID
}

// TestFaultsThroughRealClients sets each failure kind on each target and
// checks what the backend reports and what the store holds afterwards.
func TestFaultsThroughRealClients(t *testing.T) {
	ts, bs := faultTargets(t)
	ctx := context.Background()

	tests := []struct {
		backend string
		fault   embedded.Fault
		want    backends.Code
		applied bool // the increment reached the store
	}{
		{"redis", embedded.Fault{FailShare: 1, Failure: embedded.FailRefuse},
			backends.CodeUnavailable, false},
		{"redis", embedded.Fault{FailShare: 1, Failure: embedded.FailDrop, Operation: "incr"},
			backends.CodeOutcomeUnknown, false},
		{"dynamodb", embedded.Fault{FailShare: 1, Failure: embedded.FailThrottle},
			backends.CodeUnavailable, false},
		{"dynamodb", embedded.Fault{FailShare: 1, Failure: embedded.FailError},
			backends.CodeOutcomeUnknown, false},
		{"dynamodb", embedded.Fault{FailShare: 1, Failure: embedded.FailDrop,
			Operation: "UpdateItem"}, backends.CodeOutcomeUnknown, false},
		{"dynamodb", embedded.Fault{FailShare: 1, Failure: embedded.FailDropReply,
			Operation: "UpdateItem"}, backends.CodeOutcomeUnknown, true},
		{"momento", embedded.Fault{FailShare: 1, Failure: "unavailable",
			Operation: "increment"}, backends.CodeOutcomeUnknown, false},
		{"momento", embedded.Fault{FailShare: 1, Failure: "resource-exhausted"},
			backends.CodeUnavailable, false},
	}
	for i, tt := range tests {
		t.Run(tt.backend+"/"+tt.fault.Failure, func(t *testing.T) {
			b := bs[tt.backend]
			id := "fault-" + string(rune('a'+i))
			if _, err := b.Increment(ctx, unconditional(tt.backend), id, 0); err != nil {
				t.Fatalf("increment before the fault: %v", err)
			}

			if err := ts.SetFault(tt.backend, tt.fault); err != nil {
				t.Fatalf("SetFault: %v", err)
			}
			_, err := b.Increment(ctx, unconditional(tt.backend), id, 0)
			if got := backends.ErrorCode(err); got != tt.want {
				t.Errorf("increment under the fault: got %v, want code %s", err, tt.want)
			}
			if err := ts.ClearFault(tt.backend); err != nil {
				t.Fatalf("ClearFault: %v", err)
			}

			want := int64(1)
			if tt.applied {
				want = 2
			}
			rd, err := b.Get(ctx, id)
			if err != nil || rd.Value != want {
				t.Errorf("after the fault: got %d, %v, want %d", rd.Value, err, want)
			}
		})
	}
}

func TestFaultShareAndOperation(t *testing.T) {
	ts, bs := faultTargets(t)
	ctx := context.Background()
	b := bs["redis"]

	// A fault limited to INCR spares GET.
	if err := ts.SetFault("redis", embedded.Fault{Operation: "INCR", FailShare: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, "spared"); err != nil {
		t.Errorf("GET under a fault on INCR: %v, want no error", err)
	}

	// Half the increments fail; over 200 some fail and some do not.
	if err := ts.SetFault("redis", embedded.Fault{FailShare: 0.5}); err != nil {
		t.Fatal(err)
	}
	var failed int
	for range 200 {
		if _, err := b.Increment(ctx, "incr", "half", 0); err != nil {
			failed++
		}
	}
	if failed == 0 || failed == 200 {
		t.Errorf("got %d of 200 failed with share 0.5, want some but not all", failed)
	}
	if err := ts.ClearFault("redis"); err != nil {
		t.Fatal(err)
	}
	if rd, err := b.Get(ctx, "half"); err != nil || rd.Value != int64(200-failed) {
		t.Errorf("got %d, %v, want %d: refused increments must not count",
			rd.Value, err, 200-failed)
	}
}

func TestFaultDelay(t *testing.T) {
	ts, bs := faultTargets(t)
	ctx := context.Background()
	const delay = 60 * time.Millisecond

	for _, name := range []string{"redis", "dynamodb", "momento"} {
		t.Run(name, func(t *testing.T) {
			if err := ts.SetFault(name, embedded.Fault{Delay: delay}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = ts.ClearFault(name) })

			start := time.Now()
			if _, err := bs[name].Increment(ctx, unconditional(name), "slow", 0); err != nil {
				t.Fatalf("increment under a delay: %v", err)
			}
			if got := time.Since(start); got < delay {
				t.Errorf("increment took %s under a delay of %s, want at least the delay",
					got, delay)
			}
			f, ok := ts.Fault(name)
			if !ok || f.Delay != delay {
				t.Errorf("Fault(%s): got %+v, %v", name, f, ok)
			}
		})
	}
}

func TestFaultRefused(t *testing.T) {
	ts, err := embedded.Start(embedded.Options{Redis: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ts.Close() })

	tests := []struct {
		name    string
		backend string
		fault   embedded.Fault
		want    backends.Code
	}{
		{"not embedded", "dynamodb", embedded.Fault{FailShare: 1}, embedded.CodeNotEmbedded},
		{"unknown backend", "mongo", embedded.Fault{FailShare: 1},
			backends.CodeUnknownBackend},
		{"does nothing", "redis", embedded.Fault{}, backends.CodeInvalidInput},
		{"share over 1", "redis", embedded.Fault{FailShare: 1.5}, backends.CodeInvalidInput},
		{"negative delay", "redis", embedded.Fault{Delay: -1}, backends.CodeInvalidInput},
		{"delay too long", "redis", embedded.Fault{Delay: time.Minute},
			backends.CodeInvalidInput},
		{"another backend's failure", "redis",
			embedded.Fault{FailShare: 1, Failure: embedded.FailThrottle},
			backends.CodeInvalidInput},
		{"two commands", "redis", embedded.Fault{FailShare: 1, Operation: "GET SET"},
			backends.CodeInvalidInput},
		{"command name too long", "redis", embedded.Fault{FailShare: 1,
			Operation: strings.Repeat("A", 5000)}, backends.CodeInvalidInput},
		{"not a command", "redis", embedded.Fault{FailShare: 1, Operation: "NOSUCHCMD"},
			backends.CodeInvalidInput},
		{"control character", "redis", embedded.Fault{FailShare: 1, Operation: "INCR\x00"},
			backends.CodeInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ts.SetFault(tt.backend, tt.fault)
			if got := backends.ErrorCode(err); got != tt.want {
				t.Errorf("got %v, want code %s", err, tt.want)
			}
		})
	}
	if err := ts.SetFault("redis", embedded.Fault{FailShare: 1,
		Operation: "evalsha"}); err != nil {
		t.Errorf("a known command in lower case: got %v, want it accepted", err)
	}
	if f, _ := ts.Fault("redis"); f.Operation != "EVALSHA" {
		t.Errorf("got operation %q, want EVALSHA", f.Operation)
	}
	if err := ts.ClearFault("momento"); backends.ErrorCode(err) != embedded.CodeNotEmbedded {
		t.Errorf("ClearFault on a target not started: got %v, want not_embedded", err)
	}
	if !ts.Embedded("redis") || ts.Embedded("momento") {
		t.Error("Embedded: want redis true and momento false")
	}
}

// TestRedisFaultsActOnWhatTheClientSends checks that a Redis fault hits the
// commands a client sends, like a network fault, and never a command a script
// runs inside the server: a dropped EVALSHA looks like a dropped connection,
// not like an error reply of the script.
func TestRedisFaultsActOnWhatTheClientSends(t *testing.T) {
	ts, bs := faultTargets(t)
	ctx := context.Background()
	b := bs["redis"]

	tests := []struct {
		name     string
		fault    embedded.Fault
		strategy string
		// want is the code of a failed increment; spared says none fails.
		want   backends.Code
		spared bool
	}{
		{"drop all, lua", embedded.Fault{FailShare: 0.5, Failure: embedded.FailDrop},
			backends.RedisLua, backends.CodeOutcomeUnknown, false},
		{"drop all, incr", embedded.Fault{FailShare: 0.5, Failure: embedded.FailDrop},
			backends.RedisIncr, backends.CodeOutcomeUnknown, false},
		{"drop EVALSHA, lua", embedded.Fault{Operation: "evalsha", FailShare: 1,
			Failure: embedded.FailDrop}, backends.RedisLua, backends.CodeOutcomeUnknown, false},
		{"drop INCR spares the script's INCR", embedded.Fault{Operation: "INCR",
			FailShare: 1, Failure: embedded.FailDrop}, backends.RedisLua, "", true},
		{"drop GET spares the script's GET", embedded.Fault{Operation: "GET",
			FailShare: 1, Failure: embedded.FailDrop}, backends.RedisLua, "", true},
		{"refuse INCR spares the script's INCR", embedded.Fault{Operation: "INCR",
			FailShare: 1}, backends.RedisLua, "", true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := ts.SetFault("redis", tt.fault); err != nil {
				t.Fatalf("SetFault: %v", err)
			}
			t.Cleanup(func() { _ = ts.ClearFault("redis") })

			id := fmt.Sprintf("client-sends-%d", i)
			var failed int
			var bound int64
			if tt.strategy == backends.RedisLua {
				bound = 1000
			}
			for range 60 {
				_, err := b.Increment(ctx, tt.strategy, id, bound)
				if err == nil {
					continue
				}
				failed++
				if got := backends.ErrorCode(err); got != tt.want {
					t.Fatalf("got %v, want code %s", err, tt.want)
				}
			}
			if tt.spared && failed > 0 {
				t.Errorf("got %d of 60 failed, want none", failed)
			}
			if !tt.spared && failed == 0 {
				t.Errorf("got none of 60 failed, want some")
			}
		})
	}
}

// TestRedisDropFaultRun runs a comparison under a drop fault: every failed
// increment is unknown or unavailable, none is "other".
func TestRedisDropFaultRun(t *testing.T) {
	ts, bs := faultTargets(t)
	if err := ts.SetFault("redis", embedded.Fault{FailShare: 0.3,
		Failure: embedded.FailDrop}); err != nil {
		t.Fatal(err)
	}
	mgr := compare.NewManager([]backends.Backend{bs["redis"]}, compare.Options{})
	t.Cleanup(mgr.Close)

	run, err := mgr.Start(compare.Spec{
		Workload: compare.Workload{Workers: 4, Increments: 200, Keys: 1, Max: 1000},
		Strategies: []compare.Ref{{Backend: "redis", Strategy: backends.RedisIncr},
			{Backend: "redis", Strategy: backends.RedisLua}},
	})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	<-run.Done()
	for _, r := range run.State().Results {
		if n := r.Outcomes["other"]; n != 0 {
			t.Errorf("%s: got %d other outcomes (%v), want 0", r.Ref(), n, r.Errors)
		}
		if r.Outcomes["outcome_unknown"] == 0 {
			t.Errorf("%s: got no unknown outcome under a drop fault, want some", r.Ref())
		}
	}
}
