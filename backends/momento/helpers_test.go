package momento

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	sdk "github.com/momentohq/client-sdk-go/momento"
	"github.com/momentohq/client-sdk-go/responses"

	"github.com/counterlab/counterlab/backends/backendtest"
	"github.com/counterlab/counterlab/emulator"
)

// testCache is the cache every test backend uses.
const testCache = "counterlab-test"

// newBackend returns a backend on srv with opts, closed when t ends.
func newBackend(t *testing.T, srv *emulator.Server, opts Options) *Backend {
	t.Helper()
	opts.Endpoint = srv.Addr()
	if opts.Cache == "" {
		opts.Cache = testCache
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}

	b, err := New(context.Background(), opts)
	if err != nil {
		t.Fatalf("New(%+v): %v", opts, err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// ctxT returns a context that ends with the test or after 30 seconds.
func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// seed stores value under counter id directly, through the SDK.
func seed(t *testing.T, b *Backend, id, value string) {
	t.Helper()
	_, err := b.client.Set(ctxT(t), &sdk.SetRequest{
		CacheName: b.cache,
		Key:       b.key(id),
		Value:     sdk.String(value),
	})
	if err != nil {
		t.Fatalf("seed %q = %q: %v", id, value, err)
	}
}

// stored returns the raw value of counter id and whether it exists.
func stored(t *testing.T, b *Backend, id string) (string, bool) {
	t.Helper()
	resp, err := b.client.Get(ctxT(t), &sdk.GetRequest{CacheName: b.cache, Key: b.key(id)})
	if err != nil {
		t.Fatalf("get %q: %v", id, err)
	}
	if hit, ok := resp.(*responses.GetHit); ok {
		return hit.ValueString(), true
	}
	return "", false
}

// wantStored fails t unless counter id holds want.
func wantStored(t *testing.T, b *Backend, id, want string) {
	t.Helper()
	got, ok := stored(t, b, id)
	if !ok {
		t.Fatalf("counter %q: missing, want %q", id, want)
	}
	if got != want {
		t.Fatalf("counter %q: got %q, want %q", id, got, want)
	}
}

// barrier holds the first read of each of n clients until all n have read,
// so that they all write after reading the same value. Later reads (retries)
// pass straight through.
type barrier struct {
	wg   sync.WaitGroup
	mu   sync.Mutex
	seen map[*Backend]bool
}

func newBarrier(n int) *barrier {
	br := &barrier{seen: map[*Backend]bool{}}
	br.wg.Add(n)
	return br
}

// hook returns the AfterRead hook of one client; set it with attach.
func (br *barrier) hook(b **Backend) func(context.Context, string, int64, bool) {
	return func(context.Context, string, int64, bool) {
		br.mu.Lock()
		first := !br.seen[*b]
		br.seen[*b] = true
		br.mu.Unlock()
		if first {
			br.wg.Done()
			br.wg.Wait()
		}
	}
}

// racers returns n backends on srv whose first reads meet at a barrier.
func racers(t *testing.T, srv *emulator.Server, n int) []*Backend {
	t.Helper()
	br := newBarrier(n)
	out := make([]*Backend, n)
	for i := range out {
		out[i] = newBackend(t, srv, Options{AfterRead: br.hook(&out[i])})
	}
	return out
}

// incrementAll runs one increment on each backend at once and returns the
// outcomes in the order of bs.
func incrementAll(
	t *testing.T, bs []*Backend, strategy, id string, max int64,
) []backendtest.Outcome {
	t.Helper()
	load := backendtest.Load{Strategy: strategy, ID: id, Max: max, Workers: len(bs), PerWorker: 1}
	return backendtest.Concurrent(ctxT(t), load, bs...)
}
