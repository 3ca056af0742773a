package redis

import (
	"context"
	"fmt"
	"strconv"
	"testing"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/backends/backendtest"
)

// TestEveryTarget runs the same cases against miniredis and a real Redis.
func TestEveryTarget(t *testing.T) {
	backendtest.EveryTarget(t, targets, []backendtest.Case[server]{
		{Name: "increment", Run: testIncrement},
		{Name: "invalid", Run: testInvalid},
		{Name: "script-cache", Run: testScriptCache},
		{Name: "get-reset", Run: testGetReset},
		{Name: "prefix", Run: testPrefix},
		{Name: "health", Run: testHealth},
		{Name: "concurrent", Run: testConcurrent},
	})
}

// call is one increment and what it must give.
type call = backendtest.Step

// Codes, short for the tables.
const (
	limit  = backends.CodeLimitReached
	notInt = backends.CodeNotInteger
	over   = backends.CodeOverflow
)

const (
	top      = "9223372036854775807"  // the largest int64
	bottom   = "-9223372036854775808" // the smallest int64
	maxLimit = int64(backends.MaxLimit)
)

// stored is a value preset in the store.
func stored(v string) *string { return &v }

// Calls of each strategy, succeeding with a value or failing with a code.
// incr takes one round trip; lua two when the script is not cached.
func incr(want int64) call {
	return call{Strategy: backends.RedisIncr, Want: want, RoundTrips: 1}
}
func lua(max, want int64) call { return call{Strategy: backends.RedisLua, Max: max, Want: want} }
func incrFails(code backends.Code) call {
	return call{Strategy: backends.RedisIncr, Code: code}
}
func luaFails(max int64, c backends.Code) call {
	return call{Strategy: backends.RedisLua, Max: max, Code: c}
}

// want is what a sequence of calls gives.
type want struct {
	calls []call
	final string
}

func testIncrement(t *testing.T, s server) {
	cases := []struct {
		name   string
		preset *string // stored before the calls; nil for none
		calls  []call
		final  string // the stored value after the calls
		// onMiniredis replaces calls and final on miniredis, where it differs
		// from Redis (see the known gaps in the README).
		onMiniredis *want
	}{
		{name: "incr creates the counter at 1",
			calls: []call{incr(1), incr(2), incr(3)}, final: "3"},
		{name: "lua counts up to max then stops",
			calls: []call{lua(3, 1), lua(3, 2), lua(3, 3), luaFails(3, limit)},
			final: "3"},
		{name: "lua with max 1",
			calls: []call{lua(1, 1), luaFails(1, limit)}, final: "1"},
		{name: "strategies share the counter",
			calls: []call{incr(1), lua(2, 2), luaFails(2, limit), incr(3)},
			final: "3"},
		{name: "a negative counter counts up", preset: stored("-2"),
			calls: []call{incr(-1), lua(1, 0), lua(1, 1), luaFails(1, limit)},
			final: "1"},
		{name: "counter at max", preset: stored("10"),
			calls: []call{luaFails(10, limit), lua(11, 11)}, final: "11"},
		{name: "counter above max", preset: stored("20"),
			calls: []call{luaFails(10, limit)}, final: "20"},
		{name: "lua compares numbers, not strings", preset: stored("9"),
			calls: []call{lua(10, 10), luaFails(10, limit)}, final: "10"},
		{name: "max at the largest limit", preset: stored(strconv.FormatInt(maxLimit-1, 10)),
			calls: []call{lua(maxLimit, maxLimit), luaFails(maxLimit, limit)},
			final: strconv.FormatInt(maxLimit, 10)},
		{name: "abc with incr", preset: stored("abc"),
			calls: []call{incrFails(notInt)}, final: "abc"},
		{name: "abc with lua", preset: stored("abc"),
			calls: []call{luaFails(10, notInt)}, final: "abc"},
		{name: "1.5 with incr", preset: stored("1.5"),
			calls: []call{incrFails(notInt)}, final: "1.5"},
		{name: "1.5 with lua", preset: stored("1.5"),
			calls: []call{luaFails(10, notInt)}, final: "1.5"},
		{name: "empty string", preset: stored(""),
			calls: []call{incrFails(notInt), luaFails(10, notInt)},
			final: ""},
		{name: "beyond int64 with incr", preset: stored("99999999999999999999"),
			calls: []call{incrFails(notInt)}, final: "99999999999999999999"},
		{name: "beyond int64 with lua", preset: stored("99999999999999999999"),
			calls: []call{luaFails(10, notInt)}, final: "99999999999999999999"},
		{name: "leading zero with lua", preset: stored("007"),
			calls: []call{luaFails(10, notInt)}, final: "007"},
		{name: "leading zero with incr", preset: stored("007"),
			calls: []call{incrFails(notInt)}, final: "007",
			onMiniredis: &want{[]call{incr(8)}, "8"}},
		{name: "plus sign with incr", preset: stored("+5"),
			calls: []call{incrFails(notInt)}, final: "+5",
			onMiniredis: &want{[]call{incr(6)}, "6"}},
		{name: "plus sign with lua", preset: stored("+5"),
			calls: []call{luaFails(10, notInt)}, final: "+5"},
		{name: "top of int64 with incr", preset: stored(top),
			calls: []call{incrFails(over)}, final: top},
		{name: "top of int64 with lua", preset: stored(top),
			calls: []call{luaFails(maxLimit, limit)}, final: top},
		{name: "bottom of int64", preset: stored(bottom),
			calls: []call{lua(1, -9223372036854775807), incr(-9223372036854775806)},
			final: "-9223372036854775806"},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			b := newBackend(t, s.url)
			id := backendtest.CounterID(t)
			key := b.key(id)
			calls, final := tc.calls, tc.final
			if tc.onMiniredis != nil && !s.real {
				calls, final = tc.onMiniredis.calls, tc.onMiniredis.final
			}
			if tc.preset != nil {
				if err := s.admin.Set(ctx, key, *tc.preset, 0).Err(); err != nil {
					t.Fatalf("SET %s: %v", key, err)
				}
			}

			backendtest.WantSteps(t, b, id, calls)

			if got := rawValue(t, s.admin, key); got != final {
				t.Fatalf("stored value: got %q, want %q", got, final)
			}
		})
	}

	t.Run("another type of key", func(t *testing.T) {
		ctx := context.Background()
		b := newBackend(t, s.url)
		id := backendtest.CounterID(t)
		if err := s.admin.RPush(ctx, b.key(id), "x").Err(); err != nil {
			t.Fatal(err)
		}
		_, err := b.Increment(ctx, backends.RedisIncr, id, 0)
		backendtest.WantCode(t, err, notInt)
		_, err = b.Increment(ctx, backends.RedisLua, id, 5)
		backendtest.WantCode(t, err, notInt)
		_, err = b.Get(ctx, id)
		backendtest.WantCode(t, err, notInt)
		if got, _ := s.admin.LRange(ctx, b.key(id), 0, -1).Result(); len(got) != 1 {
			t.Fatalf("list: got %v, want [x]", got)
		}
	})
}

func testInvalid(t *testing.T, s server) {
	b := newBackend(t, s.url)
	id := backendtest.CounterID(t)
	backendtest.WantInvalid(t, b, []backendtest.Invalid{
		{Name: "unknown strategy", Strategy: "decr", ID: id},
		{Name: "strategy of another backend", Strategy: backends.DynamoAdd, ID: id},
		{Name: "incr with max", Strategy: backends.RedisIncr, ID: id, Max: 5},
		{Name: "lua without max", Strategy: backends.RedisLua, ID: id},
		{Name: "lua with negative max", Strategy: backends.RedisLua, ID: id, Max: -1},
		{Name: "lua with max above the limit", Strategy: backends.RedisLua, ID: id,
			Max: maxLimit + 1},
		{Name: "empty id", Strategy: backends.RedisIncr},
	})
	if got := rawValue(t, s.admin, b.key(id)); got != "(missing)" {
		t.Fatalf("after invalid calls: got %q, want no key", got)
	}

	t.Run("empty strategy picks the default", func(t *testing.T) {
		backendtest.WantDefaults(t, b)
	})
}

// testScriptCache checks that lua survives a flushed script cache, at the
// cost of one more round trip, and applies the increment once.
func testScriptCache(t *testing.T, s server) {
	ctx := context.Background()
	b := newBackend(t, s.url)
	id := backendtest.CounterID(t)

	steps := []struct {
		flush bool
		want  int64
		trips int
	}{
		{flush: true, want: 1, trips: 2},
		{flush: false, want: 2, trips: 1},
		{flush: false, want: 3, trips: 1},
		{flush: true, want: 4, trips: 2},
		{flush: false, want: 5, trips: 1},
	}
	for i, st := range steps {
		if st.flush {
			if err := s.admin.ScriptFlush(ctx).Err(); err != nil {
				t.Fatalf("SCRIPT FLUSH: %v", err)
			}
		}
		res, err := b.Increment(ctx, backends.RedisLua, id, 100)
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if res.Value != st.want || res.RoundTrips != st.trips || res.Attempts != 1 {
			t.Fatalf("step %d: got %+v, want value %d, %d round trips, 1 attempt",
				i, res, st.want, st.trips)
		}
	}
	if got := rawValue(t, s.admin, b.key(id)); got != "5" {
		t.Fatalf("stored value: got %q, want 5", got)
	}
}

func testGetReset(t *testing.T, s server) {
	ctx := context.Background()
	b := newBackend(t, s.url)
	id := backendtest.CounterID(t)

	backendtest.WantGetReset(t, b, backends.RedisIncr, id)
	if got := rawValue(t, s.admin, b.key(id)); got != "(missing)" {
		t.Fatalf("after Reset: got %q, want no key", got)
	}

	if err := s.admin.Set(ctx, b.key(id), "abc", 0).Err(); err != nil {
		t.Fatal(err)
	}
	_, err := b.Get(ctx, id)
	backendtest.WantCode(t, err, notInt)
}

func testPrefix(t *testing.T, s server) {
	ctx := context.Background()
	cases := []struct{ prefix, wantKey string }{
		{"", "counterlab:p"},
		{"other:", "other:p"},
	}
	for _, tc := range cases {
		b := newBackendWith(t, Options{URL: s.url, KeyPrefix: tc.prefix})
		if _, err := b.Increment(ctx, backends.RedisLua, "p", 10); err != nil {
			t.Fatal(err)
		}
		if got := rawValue(t, s.admin, tc.wantKey); got != "1" {
			t.Fatalf("prefix %q: key %s holds %q, want 1", tc.prefix, tc.wantKey, got)
		}
	}
}

func testHealth(t *testing.T, s server) {
	b := newBackend(t, s.url)
	if err := b.Health(context.Background()); err != nil {
		t.Fatalf("Health: %v", err)
	}
}

// testConcurrent has 32 workers share one counter.
func testConcurrent(t *testing.T, s server) {
	const workers, each = 32, 20
	cases := []struct {
		strategy string
		max      int64 // 0 for unconditional
	}{
		{backends.RedisIncr, 0},
		{backends.RedisLua, 250},
	}
	for _, tc := range cases {
		t.Run(tc.strategy, func(t *testing.T) {
			b := newBackend(t, s.url)
			id := backendtest.CounterID(t)

			want := backendtest.WantExact(t, b, backendtest.Load{
				Strategy: tc.strategy, ID: id, Max: tc.max, Workers: workers, PerWorker: each,
			})
			if got := rawValue(t, s.admin, b.key(id)); got != fmt.Sprint(want) {
				t.Fatalf("final value: got %s, want %d", got, want)
			}
		})
	}
}
