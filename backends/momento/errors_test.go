package momento

import (
	"context"
	"encoding/base64"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	sdk "github.com/momentohq/client-sdk-go/momento"
	"github.com/momentohq/client-sdk-go/responses"
	"google.golang.org/grpc/codes"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/backends/backendtest"
	"github.com/counterlab/counterlab/emulator"
)

func TestNewRejectsInvalidOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"no target", Options{}},
		{"both targets", Options{APIKey: fakeAPIKey("secret-1"), Endpoint: "127.0.0.1:1"}},
		{"endpoint without port", Options{Endpoint: "localhost"}},
		{"endpoint without host", Options{Endpoint: ":8080"}},
		{"port zero", Options{Endpoint: "localhost:0"}},
		{"port not a number", Options{Endpoint: "localhost:http"}},
		{"port too large", Options{Endpoint: "localhost:70000"}},
		{"negative attempts", Options{Endpoint: "localhost:8080", MaxAttempts: -1}},
		{"negative TTL", Options{Endpoint: "localhost:8080", TTL: -time.Second}},
		{"API key that is not one", Options{APIKey: "not-a-momento-key-secret-2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := New(context.Background(), tt.opts)
			if err == nil {
				b.Close()
				t.Fatalf("New(%+v): got no error", tt.opts)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("the error shows the API key: %v", err)
			}
		})
	}
}

// fakeAPIKey builds a key in the shape of Momento's v1 keys, pointing at a
// domain that does not resolve.
func fakeAPIKey(secret string) string {
	payload := `{"endpoint":"cell-test.invalid","api_key":"` + secret + `"}`
	return base64.StdEncoding.EncodeToString([]byte(payload))
}

func TestTarget(t *testing.T) {
	srv := emulator.RunT(t)
	const lib = "github.com/momentohq/client-sdk-go v1.38.0"

	tests := []struct {
		name string
		opts Options
		want backends.Target
	}{
		{"endpoint", Options{Endpoint: srv.Addr()},
			backends.Target{Kind: backends.KindLocal, Address: srv.Addr(), Library: lib}},
		{"endpoint, embedded", Options{Endpoint: srv.Addr(), Kind: backends.KindEmbedded},
			backends.Target{Kind: backends.KindEmbedded, Address: srv.Addr(), Library: lib}},
		{"API key", Options{APIKey: fakeAPIKey("secret-3")},
			backends.Target{Kind: backends.KindCloud, Address: "cache.cell-test.invalid:443",
				Library: lib}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Logger = slog.New(slog.DiscardHandler)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			b, err := New(ctx, tt.opts)
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			defer b.Close()

			if got := b.Target(); got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
			if b.Name() != backends.Momento {
				t.Errorf("Name: got %q, want %q", b.Name(), backends.Momento)
			}
		})
	}
}

// TestTargetDownAtStart: New succeeds with nothing listening, requests are
// unavailable, and once a server listens the backend creates its cache and
// works.
func TestTargetDownAtStart(t *testing.T) {
	addr := backendtest.FreeAddr(t)
	b, err := New(context.Background(), Options{
		Endpoint: addr, Cache: testCache, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("New with the target down: %v", err)
	}
	defer b.Close()
	ctx := ctxT(t)

	backendtest.WantCode(t, b.Health(ctx), backends.CodeUnavailable)
	for _, s := range backendtest.Calls(backends.Momento, 5) {
		_, err := b.Increment(ctx, s.Strategy, "down", s.Max)
		backendtest.WantCode(t, err, backends.CodeUnavailable)
	}
	_, err = b.Get(ctx, "down")
	backendtest.WantCode(t, err, backends.CodeUnavailable)

	srv, err := emulator.RunWithOptions(emulator.Options{
		Addr: addr, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("start the emulator on %s: %v", addr, err)
	}
	defer srv.Close()

	// gRPC waits a little before dialling again after a failure.
	deadline := time.Now().Add(20 * time.Second)
	for err = b.Health(ctx); err != nil; err = b.Health(ctx) {
		if time.Now().After(deadline) {
			t.Fatalf("Health after the target came up: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	res, err := b.Increment(ctx, cas, "down", 5)
	if err != nil {
		t.Fatal(err)
	}
	if res.Value != 1 {
		t.Errorf("got %d, want 1", res.Value)
	}
	wantCacheListed(t, b)
}

func wantCacheListed(t *testing.T, b *Backend) {
	t.Helper()
	resp, err := b.client.ListCaches(ctxT(t), &sdk.ListCachesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, c := range resp.(*responses.ListCachesSuccess).Caches() {
		names = append(names, c.Name())
	}
	if !slices.Contains(names, b.cache) {
		t.Errorf("caches %v: want %q among them", names, b.cache)
	}
}

// TestTargetClosed: a server that goes away leaves nothing half-done, since
// no request reaches it; every operation is unavailable.
func TestTargetClosed(t *testing.T) {
	srv := emulator.RunT(t)
	b := newBackend(t, srv, Options{})
	ctx := ctxT(t)
	if _, err := b.Increment(ctx, inc, "closed", 0); err != nil {
		t.Fatal(err)
	}

	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}

	// The first request after the close may meet the dying connection; a
	// read is unavailable either way. After it, nothing can connect.
	_, err := b.Get(ctx, "closed")
	backendtest.WantCode(t, err, backends.CodeUnavailable)

	for _, tt := range backendtest.Calls(backends.Momento, 5) {
		t.Run(tt.Strategy, func(t *testing.T) {
			_, err := b.Increment(ctx, tt.Strategy, "closed", tt.Max)
			e := backendtest.WantCode(t, err, backends.CodeUnavailable)
			if !strings.Contains(e.Message, "nothing was applied") {
				t.Errorf("message %q does not say nothing was applied", e.Message)
			}
		})
	}
	_, err = b.Get(ctx, "closed")
	backendtest.WantCode(t, err, backends.CodeUnavailable)
	backendtest.WantCode(t, b.Reset(ctx, "closed"), backends.CodeUnavailable)
	backendtest.WantCode(t, b.Health(ctx), backends.CodeUnavailable)
}

// TestFaults injects delays and errors into chosen requests and checks how
// each strategy reports them. The client timeout is 300ms.
func TestFaults(t *testing.T) {
	srv := emulator.RunT(t)
	b := newBackend(t, srv, Options{Timeout: 300 * time.Millisecond})
	slow := 2 * time.Second

	tests := []struct {
		name      string
		fault     emulator.Fault
		strategy  string
		want      backends.Code
		untouched bool // the counter must still hold its seed afterwards
	}{
		// A write that gets no answer in time may have been applied.
		{"slow increment", emulator.Fault{RPC: "increment", Delay: slow},
			inc, backends.CodeOutcomeUnknown, false},
		{"slow set-if, cas", emulator.Fault{RPC: "set-if", Delay: slow},
			cas, backends.CodeOutcomeUnknown, false},
		{"slow set-if, published", emulator.Fault{RPC: "set-if", Delay: slow},
			pub, backends.CodeOutcomeUnknown, false},
		// A read that gets no answer comes before any write.
		{"slow get, cas", emulator.Fault{RPC: "get", Delay: slow},
			cas, backends.CodeUnavailable, true},
		{"slow get, published", emulator.Fault{RPC: "get", Delay: slow},
			pub, backends.CodeUnavailable, true},
		// Errors the server sends after receiving a write do not say it
		// was not applied.
		{"increment answered unavailable",
			emulator.Fault{RPC: "increment", Code: codes.Unavailable},
			inc, backends.CodeOutcomeUnknown, true},
		{"increment answered deadline exceeded",
			emulator.Fault{RPC: "increment", Code: codes.DeadlineExceeded},
			inc, backends.CodeOutcomeUnknown, true},
		{"set-if answered internal", emulator.Fault{RPC: "set-if", Code: codes.Internal},
			cas, backends.CodeOutcomeUnknown, true},
		{"get answered unavailable", emulator.Fault{RPC: "get", Code: codes.Unavailable},
			cas, backends.CodeUnavailable, true},
		// Momento throttles before running a request.
		{"increment throttled",
			emulator.Fault{RPC: "increment", Code: codes.ResourceExhausted},
			inc, backends.CodeUnavailable, true},
		{"increment not permitted",
			emulator.Fault{RPC: "increment", Code: codes.PermissionDenied},
			inc, backends.CodeInternal, true},
		{"fault scoped to our cache", emulator.Fault{Cache: testCache, RPC: "increment",
			Code: codes.Unavailable}, inc, backends.CodeOutcomeUnknown, true},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "fault-" + string(rune('a'+i))
			seed(t, b, id, "5")
			max := int64(0)
			if tt.strategy != inc {
				max = 10
			}

			fid := srv.AddFault(tt.fault)
			start := time.Now()
			_, err := b.Increment(ctxT(t), tt.strategy, id, max)
			took := time.Since(start)
			srv.RemoveFault(fid)

			backendtest.WantCode(t, err, tt.want)
			if tt.fault.Delay > 0 && took >= tt.fault.Delay {
				t.Errorf("took %s: the client timeout did not cut the %s delay short",
					took, tt.fault.Delay)
			}
			if tt.untouched {
				wantStored(t, b, id, "5")
			}
		})
	}

	// A fault on another cache leaves ours alone.
	fid := srv.AddFault(emulator.Fault{Cache: "other", RPC: "increment", Code: codes.Internal})
	defer srv.RemoveFault(fid)
	if _, err := b.Increment(ctxT(t), inc, "fault-other", 0); err != nil {
		t.Errorf("fault on another cache: got %v, want success", err)
	}
}

// TestCacheDeleted: with the cache gone, a request is unavailable and the
// next one creates the cache again.
func TestCacheDeleted(t *testing.T) {
	srv := emulator.RunT(t)
	b := newBackend(t, srv, Options{})
	ctx := ctxT(t)

	deleteCache := func() {
		t.Helper()
		_, err := b.client.DeleteCache(ctx, &sdk.DeleteCacheRequest{CacheName: b.cache})
		if err != nil {
			t.Fatal(err)
		}
	}

	for _, s := range backendtest.Calls(backends.Momento, 5) {
		t.Run(s.Strategy, func(t *testing.T) {
			if _, err := b.Increment(ctx, s.Strategy, "gone", s.Max); err != nil {
				t.Fatal(err)
			}
			deleteCache()

			_, err := b.Increment(ctx, s.Strategy, "gone", s.Max)
			backendtest.WantCode(t, err, backends.CodeUnavailable)

			res, err := b.Increment(ctx, s.Strategy, "gone", s.Max)
			if err != nil {
				t.Fatalf("after the cache was deleted: %v", err)
			}
			if res.Value != 1 {
				t.Errorf("got %d, want 1 in the new cache", res.Value)
			}
		})
	}

	deleteCache()
	if err := b.Health(ctx); err != nil {
		t.Fatalf("Health: %v", err)
	}
	wantCacheListed(t, b)
}

// TestKeyThatMayNotCreateCaches: a key scoped to one cache is refused
// CreateCache. The backend then assumes the cache exists and works when it
// does; when it does not, requests are unavailable.
func TestKeyThatMayNotCreateCaches(t *testing.T) {
	srv, err := emulator.RunWithOptions(emulator.Options{
		Caches: []string{testCache},
		Faults: []emulator.Fault{{
			RPC: emulator.RPCName("CreateCache"), Code: codes.PermissionDenied,
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })

	b := newBackend(t, srv, Options{})
	res, err := b.Increment(ctxT(t), cas, "scoped", 5)
	if err != nil {
		t.Fatalf("with the cache there: %v", err)
	}
	if res.Value != 1 {
		t.Errorf("got %d, want 1", res.Value)
	}
	if err := b.Health(ctxT(t)); err != nil {
		t.Errorf("Health: %v", err)
	}

	other := newBackend(t, srv, Options{Cache: "not-there"})
	_, err = other.Increment(ctxT(t), inc, "scoped", 0)
	backendtest.WantCode(t, err, backends.CodeUnavailable)
	backendtest.WantCode(t, other.Health(ctxT(t)), backends.CodeUnavailable)
}

// TestUnresolvableTarget: a name that does not resolve means no request is
// ever sent, so even a write is unavailable rather than outcome_unknown.
func TestUnresolvableTarget(t *testing.T) {
	tests := []struct {
		name string
		opts Options
	}{
		{"endpoint", Options{Endpoint: "no-such-host.invalid:9999"}},
		{"API key", Options{APIKey: fakeAPIKey("secret-4")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.Logger = slog.New(slog.DiscardHandler)
			b, err := New(ctxT(t), tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			// Skip cache creation, so that the write itself meets the
			// missing connection.
			b.cacheReady.Store(true)

			for _, s := range backendtest.Calls(backends.Momento, 5) {
				_, err := b.Increment(ctxT(t), s.Strategy, "x", s.Max)
				e := backendtest.WantCode(t, err, backends.CodeUnavailable)
				if strings.Contains(e.Error(), "secret") {
					t.Errorf("the error shows the API key: %v", e)
				}
			}
			backendtest.WantCode(t, b.Reset(ctxT(t), "x"), backends.CodeUnavailable)
		})
	}
}

// TestCancelledBeforeWrite: a request whose context ends before its write
// is sent has applied nothing, so it is unavailable, not outcome_unknown.
func TestCancelledBeforeWrite(t *testing.T) {
	srv := emulator.RunT(t)

	for _, tt := range backendtest.Calls(backends.Momento, 10) {
		t.Run(tt.Strategy, func(t *testing.T) {
			ctx, cancel := context.WithCancel(ctxT(t))
			defer cancel()
			b := newBackend(t, srv, Options{
				// The read-then-write strategies: cancel between the two.
				AfterRead: func(context.Context, string, int64, bool) { cancel() },
			})
			id := "cancelled-" + tt.Strategy
			seed(t, b, id, "5")
			if tt.Strategy == inc {
				cancel()
			}

			_, err := b.Increment(ctx, tt.Strategy, id, tt.Max)
			backendtest.WantCode(t, err, backends.CodeUnavailable)
			wantStored(t, b, id, "5")
		})
	}
}

// methodCounter is a slog handler that counts the emulator's request lines
// by gRPC method.
type methodCounter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (m *methodCounter) Enabled(context.Context, slog.Level) bool { return true }
func (m *methodCounter) WithAttrs([]slog.Attr) slog.Handler       { return m }
func (m *methodCounter) WithGroup(string) slog.Handler            { return m }

func (m *methodCounter) Handle(_ context.Context, r slog.Record) error {
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "method" {
			m.mu.Lock()
			m.counts[a.Value.String()]++
			m.mu.Unlock()
		}
		return true
	})
	return nil
}

func (m *methodCounter) count(suffix string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for method, c := range m.counts {
		if strings.HasSuffix(method, suffix) {
			n += c
		}
	}
	return n
}

// TestNoClientRetries: a failed request reaches the server once. The SDK's
// default configurations would send a failed Get up to three times.
func TestNoClientRetries(t *testing.T) {
	mc := &methodCounter{counts: map[string]int{}}
	srv, err := emulator.RunWithOptions(emulator.Options{
		Logger: slog.New(mc), LogRequests: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	b := newBackend(t, srv, Options{})

	tests := []struct {
		rpc, method, strategy string
		max                   int64
	}{
		{"get", "/Get", cas, 5},
		{"increment", "/Increment", inc, 0},
		{"set-if", "/SetIf", cas, 5},
	}
	for _, tt := range tests {
		t.Run(tt.rpc, func(t *testing.T) {
			fid := srv.AddFault(emulator.Fault{RPC: tt.rpc, Code: codes.Unavailable})
			defer srv.RemoveFault(fid)
			before := mc.count(tt.method)

			_, err := b.Increment(ctxT(t), tt.strategy, "no-retry", tt.max)
			if err == nil {
				t.Fatal("got no error with the fault set")
			}
			if got := mc.count(tt.method) - before; got != 1 {
				t.Errorf("%s requests: got %d, want 1", tt.method, got)
			}
		})
	}
}
