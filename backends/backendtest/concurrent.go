package backendtest

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/counterlab/counterlab/backends"
)

// Load is a concurrent workload on one counter.
type Load struct {
	Strategy  string
	ID        string
	Max       int64 // 0 for an unconditional strategy
	Workers   int
	PerWorker int
}

// Outcome is one increment's result or error.
type Outcome struct {
	Result backends.Result
	Err    error
}

// Concurrent runs l.PerWorker increments on each of l.Workers goroutines at
// once and returns every outcome, worker by worker. Worker w uses
// bs[w%len(bs)]: pass one backend for all of them to share, or one each.
func Concurrent[B backends.Backend](ctx context.Context, l Load, bs ...B) []Outcome {
	out := make([]Outcome, l.Workers*l.PerWorker)
	var wg sync.WaitGroup
	for w := range l.Workers {
		b := bs[w%len(bs)]
		wg.Go(func() {
			for n := range l.PerWorker {
				res, err := b.Increment(ctx, l.Strategy, l.ID, l.Max)
				out[w*l.PerWorker+n] = Outcome{res, err}
			}
		})
	}
	wg.Wait()
	return out
}

// Tally returns the values of the acknowledged increments in increasing
// order, and the number of errors of each code in allowed. Any other error
// fails t.
func Tally(
	t testing.TB, outs []Outcome, allowed ...backends.Code,
) ([]int64, map[backends.Code]int) {
	t.Helper()
	var values []int64
	codes := map[backends.Code]int{}
	var unexpected []error
	for _, o := range outs {
		code := backends.ErrorCode(o.Err)
		switch {
		case o.Err == nil:
			values = append(values, o.Result.Value)
		case slices.Contains(allowed, code):
			codes[code]++
		default:
			unexpected = append(unexpected, o.Err)
		}
	}
	if len(unexpected) > 0 {
		t.Fatalf("%d unexpected errors, first: %v", len(unexpected), unexpected[0])
	}
	slices.Sort(values)
	return values, codes
}

// WantOneToN fails t unless values, in increasing order, are 1 to
// len(values), each once: no increment was lost or counted twice.
func WantOneToN(t testing.TB, values []int64) {
	t.Helper()
	for i, v := range values {
		if v != int64(i+1) {
			t.Fatalf("values: got %d at rank %d, want %d (repeat or gap)", v, i, i+1)
		}
	}
}

// WantExact runs l on b, shared by every worker, and fails t unless every
// increment counted exactly once: all of them for an unconditional strategy;
// for a conditional one, l.Max of them and limit_reached for the rest; their
// values 1 to that number. It returns that number, the counter's final value.
func WantExact(t testing.TB, b backends.Backend, l Load) int64 {
	t.Helper()
	outs := Concurrent(t.Context(), l, b)

	values, codes := Tally(t, outs, backends.CodeLimitReached)
	total := l.Workers * l.PerWorker
	want := total
	if l.Max != 0 {
		want = int(l.Max)
	}
	limited := codes[backends.CodeLimitReached]
	if len(values) != want || limited != total-want {
		t.Fatalf("got %d increments and %d limit_reached, want %d and %d",
			len(values), limited, want, total-want)
	}
	WantOneToN(t, values)
	return int64(want)
}
