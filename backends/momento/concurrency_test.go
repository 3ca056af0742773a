package momento

import (
	"slices"
	"strconv"
	"testing"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/backends/backendtest"
	"github.com/counterlab/counterlab/emulator"
)

// TestLostUpdate lines two clients up so that both read the counter before
// either writes. The published algorithm acknowledges both increments with
// the same value and the counter moves by one: an update is lost.
// set-if-equal refuses the second write, retries it and loses nothing.
func TestLostUpdate(t *testing.T) {
	srv := emulator.RunT(t)

	tests := []struct {
		name     string
		strategy string
		seed     string // empty: the counter is missing
		max      int64
		values   []int64 // the two acknowledged values, sorted
		final    string
		attempts []int // attempts of the two, sorted
	}{
		{"published loses one", pub, "5", 100, []int64{6, 6}, "6", []int{1, 1}},
		{"published loses one below max", pub, "8", 10, []int64{9, 9}, "9", []int{1, 1}},
		{"set-if-equal loses nothing", cas, "5", 100, []int64{6, 7}, "7", []int{1, 2}},
		{"set-if-equal stops at max", cas, "9", 10, nil, "10", nil},
		{"set-if-equal on a missing counter", cas, "", 100, []int64{1, 2}, "2", []int{1, 2}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "lost-" + strconv.Itoa(i)
			bs := racers(t, srv, 2)
			if tt.seed != "" {
				seed(t, bs[0], id, tt.seed)
			}

			outs := incrementAll(t, bs, tt.strategy, id, tt.max)

			var values []int64
			var attempts []int
			limited := 0
			for _, o := range outs {
				switch {
				case o.Err == nil:
					values = append(values, o.Result.Value)
					attempts = append(attempts, o.Result.Attempts)
				case backends.ErrorCode(o.Err) == backends.CodeLimitReached:
					limited++
				default:
					t.Fatalf("unexpected error: %v", o.Err)
				}
			}
			slices.Sort(values)
			slices.Sort(attempts)
			if tt.values == nil {
				// One reaches max, the other's retry finds it there.
				tt.values, tt.attempts = []int64{10}, []int{1}
				if limited != 1 {
					t.Errorf("limit_reached: got %d, want 1", limited)
				}
			}
			if !slices.Equal(values, tt.values) {
				t.Errorf("acknowledged values: got %v, want %v", values, tt.values)
			}
			if !slices.Equal(attempts, tt.attempts) {
				t.Errorf("attempts: got %v, want %v", attempts, tt.attempts)
			}
			wantStored(t, bs[0], id, tt.final)
		})
	}
}

// TestPublishedCreateRace: two clients both miss, both SetIfAbsent; the
// published algorithm reports the loser as a conflict.
func TestPublishedCreateRace(t *testing.T) {
	srv := emulator.RunT(t)
	bs := racers(t, srv, 2)

	outs := incrementAll(t, bs, pub, "create-race", 10)

	var ok, conflicts int
	for _, o := range outs {
		switch {
		case o.Err == nil:
			ok++
			if o.Result.Value != 1 {
				t.Errorf("winner: got value %d, want 1", o.Result.Value)
			}
		case backends.ErrorCode(o.Err) == backends.CodeConflict:
			conflicts++
		default:
			t.Errorf("unexpected error: %v", o.Err)
		}
	}
	if ok != 1 || conflicts != 1 {
		t.Errorf("got %d successes and %d conflicts, want 1 and 1", ok, conflicts)
	}
	wantStored(t, bs[0], "create-race", "1")
}

// hammer runs l on its own backend per worker and returns every outcome.
func hammer(
	t *testing.T, srv *emulator.Server, l backendtest.Load, maxAttempts int,
) []backendtest.Outcome {
	t.Helper()
	bs := make([]*Backend, l.Workers)
	for i := range bs {
		bs[i] = newBackend(t, srv, Options{MaxAttempts: maxAttempts})
	}
	return backendtest.Concurrent(ctxT(t), l, bs...)
}

func TestConcurrentIncrement(t *testing.T) {
	srv := emulator.RunT(t)
	const workers, perWorker = 32, 20

	outs := hammer(t, srv, backendtest.Load{
		Strategy: inc, ID: "hammer-inc", Workers: workers, PerWorker: perWorker,
	}, 0)

	values, _ := backendtest.Tally(t, outs)
	backendtest.WantOneToN(t, values)
	b := newBackend(t, srv, Options{})
	wantStored(t, b, "hammer-inc", strconv.Itoa(workers*perWorker))
}

func TestConcurrentSetIfEqual(t *testing.T) {
	srv := emulator.RunT(t)

	tests := []struct {
		name        string
		max         int64
		maxAttempts int
	}{
		{"default attempts", 100, 0},
		{"two attempts", 100, 2},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const workers, perWorker = 32, 8 // 256 attempts for a max of 100
			id := "hammer-cas-" + strconv.Itoa(i)

			outs := hammer(t, srv, backendtest.Load{
				Strategy: cas, ID: id, Max: tt.max, Workers: workers, PerWorker: perWorker,
			}, tt.maxAttempts)

			values, codes := backendtest.Tally(t, outs,
				backends.CodeConflict, backends.CodeLimitReached)
			conflicts := codes[backends.CodeConflict]
			backendtest.WantOneToN(t, values)
			b := newBackend(t, srv, Options{})
			final, _ := stored(t, b, id)
			if final != strconv.Itoa(len(values)) {
				t.Errorf("final %s, want the %d acknowledged increments", final, len(values))
			}
			if int64(len(values)) > tt.max {
				t.Errorf("final %d is above max %d", len(values), tt.max)
			}
			if conflicts == 0 && int64(len(values)) != tt.max {
				t.Errorf("no conflicts but final %d, want max %d", len(values), tt.max)
			}
			t.Logf("%d acknowledged, %d conflicts, %d limit_reached",
				len(values), conflicts, len(outs)-len(values)-conflicts)
		})
	}
}
