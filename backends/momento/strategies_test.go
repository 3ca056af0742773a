package momento

import (
	"context"
	"strconv"
	"testing"
	"time"

	sdk "github.com/momentohq/client-sdk-go/momento"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/backends/backendtest"
	"github.com/counterlab/counterlab/emulator"
)

const (
	inc     = backends.MomentoIncrement
	pub     = backends.MomentoSetIfPresentNotEqual
	cas     = backends.MomentoSetIfEqual
	maxI64s = "9223372036854775807"
)

// step is one increment and what it must give.
type step struct {
	value      int64
	roundTrips int
	attempts   int
	code       backends.Code // non-empty: the increment must fail with it
}

func TestStrategiesFromScratch(t *testing.T) {
	srv := emulator.RunT(t)
	b := newBackend(t, srv, Options{})

	limit := step{code: backends.CodeLimitReached}
	tests := []struct {
		strategy string
		max      int64
		steps    []step
		final    string
	}{
		{inc, 0, []step{{1, 1, 1, ""}, {2, 1, 1, ""}, {3, 1, 1, ""}, {4, 1, 1, ""}}, "4"},
		{pub, 3, []step{{1, 2, 1, ""}, {2, 2, 1, ""}, {3, 2, 1, ""}, limit, limit}, "3"},
		{cas, 3, []step{{1, 2, 1, ""}, {2, 2, 1, ""}, {3, 2, 1, ""}, limit, limit}, "3"},
		{pub, 1, []step{{1, 2, 1, ""}, limit}, "1"},
		{cas, 1, []step{{1, 2, 1, ""}, limit}, "1"},
		// An empty strategy picks the default: increment without max,
		// set-if-equal with one.
		{"", 0, []step{{1, 1, 1, ""}, {2, 1, 1, ""}}, "2"},
		{"", 2, []step{{1, 2, 1, ""}, {2, 2, 1, ""}, limit}, "2"},
	}
	for i, tt := range tests {
		t.Run(tt.strategy+"/max="+strconv.FormatInt(tt.max, 10), func(t *testing.T) {
			id := "scratch-" + strconv.Itoa(i)
			for n, want := range tt.steps {
				res, err := b.Increment(ctxT(t), tt.strategy, id, tt.max)
				if want.code != "" {
					backendtest.WantLimitReached(t, err, id, tt.max)
					continue
				}
				if err != nil {
					t.Fatalf("step %d: %v", n, err)
				}
				got := step{res.Value, res.RoundTrips, res.Attempts, ""}
				if got != want {
					t.Errorf("step %d: got %+v, want %+v", n, got, want)
				}
			}
			wantStored(t, b, id, tt.final)

			r, err := b.Get(ctxT(t), id)
			if err != nil {
				t.Fatal(err)
			}
			wantValue, _ := strconv.ParseInt(tt.final, 10, 64)
			if r != (backends.Reading{Value: wantValue, Exists: true}) {
				t.Errorf("Get: got %+v, want value %d, exists", r, wantValue)
			}
		})
	}
}

func TestGetAndReset(t *testing.T) {
	srv := emulator.RunT(t)
	b := newBackend(t, srv, Options{})
	ctx := ctxT(t)

	r, err := b.Get(ctx, "never")
	if err != nil {
		t.Fatal(err)
	}
	if r != (backends.Reading{}) {
		t.Errorf("Get of a missing counter: got %+v, want 0, not existing", r)
	}
	if err := b.Reset(ctx, "never"); err != nil {
		t.Errorf("Reset of a missing counter: got %v, want no error", err)
	}

	for range 3 {
		if _, err := b.Increment(ctx, inc, "c", 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Reset(ctx, "c"); err != nil {
		t.Fatal(err)
	}
	if _, ok := stored(t, b, "c"); ok {
		t.Errorf("after Reset the item still exists")
	}
	res, err := b.Increment(ctx, cas, "c", 5)
	if err != nil {
		t.Fatal(err)
	}
	if res.Value != 1 {
		t.Errorf("first increment after Reset: got %d, want 1", res.Value)
	}
}

func TestKeyPrefix(t *testing.T) {
	srv := emulator.RunT(t)
	tests := []struct {
		prefix, wantKey string
	}{
		{"", "counterlab:k"},
		{"app1/", "app1/k"},
	}
	for _, tt := range tests {
		t.Run(tt.wantKey, func(t *testing.T) {
			b := newBackend(t, srv, Options{KeyPrefix: tt.prefix})
			if _, err := b.Increment(ctxT(t), inc, "k", 0); err != nil {
				t.Fatal(err)
			}
			resp, err := b.client.Get(ctxT(t), &sdk.GetRequest{
				CacheName: testCache, Key: sdk.String(tt.wantKey),
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, ok := resp.(interface{ ValueString() string }); !ok {
				t.Errorf("no item under key %q: got %T", tt.wantKey, resp)
			}
		})
	}
}

func TestInvalidInput(t *testing.T) {
	srv := emulator.RunT(t)
	b := newBackend(t, srv, Options{})

	backendtest.WantInvalid(t, b, []backendtest.Invalid{
		{Name: "unknown strategy", Strategy: "incr", ID: "x"},
		{Name: "redis strategy on momento", Strategy: backends.RedisLua, ID: "x", Max: 5},
		{Name: "conditional without max", Strategy: cas, ID: "x"},
		{Name: "published without max", Strategy: pub, ID: "x"},
		{Name: "conditional with negative max", Strategy: cas, ID: "x", Max: -1},
		{Name: "unconditional with max", Strategy: inc, ID: "x", Max: 5},
		{Name: "empty id", Strategy: inc},
	})
	if _, ok := stored(t, b, "x"); ok {
		t.Errorf("an invalid request wrote counter x")
	}
}

// TestStoredValues covers values seeded into the cache: not integers, the
// int64 limit, and counters already above max.
func TestStoredValues(t *testing.T) {
	srv := emulator.RunT(t)
	b := newBackend(t, srv, Options{})

	tests := []struct {
		name     string
		seed     string
		strategy string
		max      int64
		want     backends.Code // empty: success with value wantValue
		value    int64
		final    string
	}{
		{"text/increment", "abc", inc, 0, backends.CodeNotInteger, 0, "abc"},
		{"text/published", "abc", pub, 10, backends.CodeNotInteger, 0, "abc"},
		{"text/cas", "abc", cas, 10, backends.CodeNotInteger, 0, "abc"},
		{"decimal/increment", "1.5", inc, 0, backends.CodeNotInteger, 0, "1.5"},
		{"decimal/published", "1.5", pub, 10, backends.CodeNotInteger, 0, "1.5"},
		{"decimal/cas", "1.5", cas, 10, backends.CodeNotInteger, 0, "1.5"},
		{"empty/increment", "", inc, 0, backends.CodeNotInteger, 0, ""},
		{"empty/cas", "", cas, 10, backends.CodeNotInteger, 0, ""},
		{"beyond int64/increment", "9223372036854775808", inc, 0,
			backends.CodeNotInteger, 0, "9223372036854775808"},
		{"beyond int64/cas", "9223372036854775808", cas, 10,
			backends.CodeNotInteger, 0, "9223372036854775808"},

		{"int64 max/increment", maxI64s, inc, 0, backends.CodeOverflow, 0, maxI64s},
		{"int64 max/published", maxI64s, pub, 10, backends.CodeOverflow, 0, maxI64s},
		// set-if-equal checks max first: a counter at 2^63-1 is at or above
		// every max, so it is limit_reached, and it never needs to overflow.
		{"int64 max/cas", maxI64s, cas, 10, backends.CodeLimitReached, 0, maxI64s},
		{"int64 max/cas max=int64 max", maxI64s, cas, 1<<63 - 1,
			backends.CodeLimitReached, 0, maxI64s},
		{"one below int64 max/increment", "9223372036854775806", inc, 0, "",
			1<<63 - 1, maxI64s},

		// A counter already above max: the published condition only refuses
		// a stored value equal to max, so it goes on counting past it.
		{"above max/published", "12", pub, 10, "", 13, "13"},
		{"above max/cas", "12", cas, 10, backends.CodeLimitReached, 0, "12"},
		{"at max/published", "10", pub, 10, backends.CodeLimitReached, 0, "10"},
		{"at max/cas", "10", cas, 10, backends.CodeLimitReached, 0, "10"},
		{"below max/published", "9", pub, 10, "", 10, "10"},
		{"below max/cas", "9", cas, 10, "", 10, "10"},
		// The published condition compares bytes: "010" is not "10", so a
		// counter at max written with a leading zero passes it.
		{"at max with leading zero/published", "010", pub, 10, "", 11, "11"},
		{"at max with leading zero/cas", "010", cas, 10, backends.CodeLimitReached, 0, "010"},
		// set-if-equal compares the bytes it read, so a leading zero does
		// not make it spin.
		{"leading zero/cas", "07", cas, 10, "", 8, "8"},
		{"negative/increment", "-3", inc, 0, "", -2, "-2"},
		{"negative/cas", "-3", cas, 10, "", -2, "-2"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "seeded-" + strconv.Itoa(i)
			seed(t, b, id, tt.seed)

			res, err := b.Increment(ctxT(t), tt.strategy, id, tt.max)
			switch {
			case tt.want == backends.CodeLimitReached:
				backendtest.WantLimitReached(t, err, id, tt.max)
			case tt.want != "":
				backendtest.WantCode(t, err, tt.want)
			case err != nil:
				t.Fatalf("got %v, want value %d", err, tt.value)
			case res.Value != tt.value:
				t.Errorf("got value %d, want %d", res.Value, tt.value)
			}
			wantStored(t, b, id, tt.final)
		})
	}
}

func TestGetOfStoredValues(t *testing.T) {
	srv := emulator.RunT(t)
	b := newBackend(t, srv, Options{})

	tests := []struct {
		seed  string
		want  backends.Code
		value int64
	}{
		{"abc", backends.CodeNotInteger, 0},
		{"1.5", backends.CodeNotInteger, 0},
		{"9223372036854775808", backends.CodeNotInteger, 0},
		{maxI64s, "", 1<<63 - 1},
		{"-7", "", -7},
	}
	for _, tt := range tests {
		t.Run(tt.seed, func(t *testing.T) {
			seed(t, b, "g", tt.seed)
			r, err := b.Get(ctxT(t), "g")
			if tt.want != "" {
				backendtest.WantCode(t, err, tt.want)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r != (backends.Reading{Value: tt.value, Exists: true}) {
				t.Errorf("got %+v, want %d, exists", r, tt.value)
			}
		})
	}
}

// TestPublishedRefusals shows what the published algorithm makes of a
// writer that acts between its read and its write.
func TestPublishedRefusals(t *testing.T) {
	srv := emulator.RunT(t)

	tests := []struct {
		name  string
		seed  string // empty: the counter is missing
		other func(t *testing.T, b *Backend, id string)
		want  backends.Code
		final string
	}{
		{
			// Another client creates the counter after our miss: our
			// SetIfAbsent is refused, and that is a conflict.
			name:  "created meanwhile",
			other: func(t *testing.T, b *Backend, id string) { seed(t, b, id, "1") },
			want:  backends.CodeConflict,
			final: "1",
		},
		{
			// The counter disappears after our hit: SetIfPresentAndNotEqual
			// is refused, and the published algorithm calls every refusal
			// the limit, although the counter is nowhere near it.
			name: "deleted meanwhile",
			seed: "3",
			other: func(t *testing.T, b *Backend, id string) {
				if err := b.Reset(ctxT(t), id); err != nil {
					t.Error(err)
				}
			},
			want: backends.CodeLimitReached,
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "refused-" + strconv.Itoa(i)
			var b *Backend
			b = newBackend(t, srv, Options{
				AfterRead: func(context.Context, string, int64, bool) { tt.other(t, b, id) },
			})
			if tt.seed != "" {
				seed(t, b, id, tt.seed)
			}

			_, err := b.Increment(ctxT(t), pub, id, 10)
			backendtest.WantCode(t, err, tt.want)
			if tt.final == "" {
				if v, ok := stored(t, b, id); ok {
					t.Errorf("counter %q exists with %q, want it missing", id, v)
				}
				return
			}
			wantStored(t, b, id, tt.final)
		})
	}
}

// TestSetIfEqualGivesUp makes another writer change the counter between
// every read and write: set-if-equal retries up to MaxAttempts, then
// reports a conflict having written nothing.
func TestSetIfEqualGivesUp(t *testing.T) {
	srv := emulator.RunT(t)

	tests := []struct {
		name        string
		maxAttempts int
		seed        string
	}{
		{"missing counter, 3 attempts", 3, ""},
		{"existing counter, 2 attempts", 2, "4"},
		{"default attempts", 0, "1"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := "gives-up-" + strconv.Itoa(i)
			reads := 0
			var b *Backend
			b = newBackend(t, srv, Options{
				MaxAttempts: tt.maxAttempts,
				AfterRead: func(_ context.Context, _ string, current int64, _ bool) {
					reads++
					seed(t, b, id, strconv.FormatInt(current+100, 10))
				},
			})
			if tt.seed != "" {
				seed(t, b, id, tt.seed)
			}

			_, err := b.Increment(ctxT(t), cas, id, 1_000_000)
			e := backendtest.WantCode(t, err, backends.CodeConflict)

			want := tt.maxAttempts
			if want == 0 {
				want = DefaultMaxAttempts
			}
			if got := e.Details["attempts"]; got != want {
				t.Errorf("details attempts: got %v, want %d", got, want)
			}
			if reads != want {
				t.Errorf("reads: got %d, want %d", reads, want)
			}
			// Only the other writer's values are stored: each holds the
			// value read plus 100, never plus 1.
			v, _ := stored(t, b, id)
			n, _ := strconv.Atoi(v)
			if n%100 != mustAtoi(t, tt.seed)%100 {
				t.Errorf("stored %q: one of our writes got through", v)
			}
		})
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestSetIfEqualRoundTrips checks that the round trips and attempts count
// every request of every attempt.
func TestSetIfEqualRoundTrips(t *testing.T) {
	srv := emulator.RunT(t)

	id := "rt"
	interfere := 2 // the other writer acts after our first two reads
	var b *Backend
	b = newBackend(t, srv, Options{
		AfterRead: func(_ context.Context, _ string, current int64, _ bool) {
			if interfere > 0 {
				interfere--
				seed(t, b, id, strconv.FormatInt(current+1, 10))
			}
		},
	})
	seed(t, b, id, "10")

	res, err := b.Increment(ctxT(t), cas, id, 100)
	if err != nil {
		t.Fatal(err)
	}
	want := backends.Result{Value: 13, RoundTrips: 6, Attempts: 3}
	if res != want {
		t.Errorf("got %+v, want %+v", res, want)
	}
	wantStored(t, b, id, "13")
}

// TestCountersExpire: every write carries the TTL, so a counter left alone
// longer than it is gone and starts again at 1. The read-then-write
// strategies replace the item, so each increment restarts the TTL.
func TestCountersExpire(t *testing.T) {
	srv := emulator.RunT(t)
	b := newBackend(t, srv, Options{})

	tests := []struct {
		strategy string
		max      int64
	}{{inc, 0}, {pub, 100}, {cas, 100}}
	for _, tt := range tests {
		t.Run(tt.strategy, func(t *testing.T) {
			id := "ttl-" + tt.strategy
			ctx := ctxT(t)
			for range 2 {
				if _, err := b.Increment(ctx, tt.strategy, id, tt.max); err != nil {
					t.Fatal(err)
				}
			}
			srv.FastForward(DefaultTTL + time.Minute)

			r, err := b.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if r != (backends.Reading{}) {
				t.Fatalf("after the TTL: got %+v, want 0, not existing", r)
			}
			res, err := b.Increment(ctx, tt.strategy, id, tt.max)
			if err != nil {
				t.Fatal(err)
			}
			if res.Value != 1 {
				t.Errorf("first increment after expiry: got %d, want 1", res.Value)
			}
		})
	}

	for _, s := range []string{pub, cas} {
		t.Run("refreshed by "+s, func(t *testing.T) {
			id := "ttl-refresh-" + s
			ctx := ctxT(t)
			for n := range 3 {
				if _, err := b.Increment(ctx, s, id, 100); err != nil {
					t.Fatalf("increment %d: %v", n, err)
				}
				srv.FastForward(DefaultTTL - time.Hour)
			}
			r, err := b.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if r != (backends.Reading{Value: 3, Exists: true}) {
				t.Errorf("got %+v, want 3, existing", r)
			}
		})
	}
}
