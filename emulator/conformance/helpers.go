package conformance

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/momentohq/client-sdk-go/momento"
	"github.com/momentohq/client-sdk-go/responses"
)

// suite is what every case gets: the target, a client and a cache.
type suite struct {
	tg    Target
	c     momento.CacheClient
	cache string
	seq   atomic.Int64
}

// key returns a key no other case uses.
func (s *suite) key(name string) string {
	return fmt.Sprintf("%s-%d", name, s.seq.Add(1))
}

// is reports whether v is a T or a *T: the SDK answers some responses by
// value and others by pointer.
func is[T any](v any) bool {
	_, ok := as[T](v)
	return ok
}

// as returns v as a T when it is a T or a non-nil *T.
func as[T any](v any) (T, bool) {
	switch x := v.(type) {
	case T:
		return x, true
	case *T:
		if x != nil {
			return *x, true
		}
	}
	var zero T
	return zero, false
}

func callCtx(tb testing.TB) context.Context {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout+5*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

// code returns the SDK error code of err, "" for nil or a foreign error.
func code(err error) string {
	var me momento.MomentoError
	if errors.As(err, &me) {
		return me.Code()
	}
	return ""
}

// wantCode fails the test unless err carries the SDK error code want.
func wantCode(tb testing.TB, what string, err error, want string) {
	tb.Helper()
	if got := code(err); got != want {
		tb.Fatalf("%s: got error code %q (%v), want %q", what, got, err, want)
	}
}

func (s *suite) get(tb testing.TB, key string) (string, bool) {
	tb.Helper()
	return getFrom(tb, s.c, s.cache, key)
}

func getFrom(tb testing.TB, c momento.CacheClient, cache, key string) (string, bool) {
	tb.Helper()
	resp, err := c.Get(callCtx(tb), &momento.GetRequest{CacheName: cache, Key: momento.String(key)})
	if err != nil {
		tb.Fatalf("Get(%q): %v", key, err)
	}
	if hit, ok := as[responses.GetHit](resp); ok {
		return hit.ValueString(), true
	}
	if !is[responses.GetMiss](resp) {
		tb.Fatalf("Get(%q): got %T, want a hit or a miss", key, resp)
	}
	return "", false
}

// set stores value under key; a ttl of 0 means the client's DefaultTTL.
func (s *suite) set(tb testing.TB, key, value string, ttl time.Duration) {
	tb.Helper()
	_, err := s.c.Set(callCtx(tb), &momento.SetRequest{
		CacheName: s.cache, Key: momento.String(key), Value: momento.String(value), Ttl: ttl,
	})
	if err != nil {
		tb.Fatalf("Set(%q, %d bytes): %v", key, len(value), err)
	}
}

// checkValue fails the test unless key holds want.
func (s *suite) checkValue(tb testing.TB, key, want string) {
	tb.Helper()
	got, ok := s.get(tb, key)
	switch {
	case !ok:
		tb.Fatalf("Get(%q): got a miss, want %s", key, short(want))
	case got != want:
		tb.Fatalf("Get(%q): got %s, want %s", key, short(got), short(want))
	}
}

// checkMiss fails the test unless key is missing.
func (s *suite) checkMiss(tb testing.TB, key string) {
	tb.Helper()
	if got, ok := s.get(tb, key); ok {
		tb.Fatalf("Get(%q): got a hit %s, want a miss", key, short(got))
	}
}

func (s *suite) increment(tb testing.TB, key string, amount int64) (int64, error) {
	tb.Helper()
	return incrementOn(tb, s.c, s.cache, key, amount)
}

func incrementOn(tb testing.TB, c momento.CacheClient, cache, key string,
	amount int64) (int64, error) {
	tb.Helper()
	resp, err := c.Increment(callCtx(tb), &momento.IncrementRequest{
		CacheName: cache, Field: momento.String(key), Amount: amount,
	})
	if err != nil {
		return 0, err
	}
	ok, isOK := as[responses.IncrementSuccess](resp)
	if !isOK {
		tb.Fatalf("Increment(%q, %d): got %T, want success", key, amount, resp)
	}
	return ok.Value(), nil
}

// remaining returns the TTL left of key; ok is false on a miss.
func (s *suite) remaining(tb testing.TB, key string) (time.Duration, bool) {
	tb.Helper()
	resp, err := s.c.ItemGetTtl(callCtx(tb), &momento.ItemGetTtlRequest{
		CacheName: s.cache, Key: momento.String(key),
	})
	if err != nil {
		tb.Fatalf("ItemGetTtl(%q): %v", key, err)
	}
	if hit, ok := as[responses.ItemGetTtlHit](resp); ok {
		return hit.RemainingTtl(), true
	}
	if !is[responses.ItemGetTtlMiss](resp) {
		tb.Fatalf("ItemGetTtl(%q): got %T, want a hit or a miss", key, resp)
	}
	return 0, false
}

// checkRemaining fails the test unless key has a TTL left in (low, high].
func (s *suite) checkRemaining(tb testing.TB, key string, low, high time.Duration) {
	tb.Helper()
	left, ok := s.remaining(tb, key)
	if !ok {
		tb.Fatalf("ItemGetTtl(%q): got a miss, want a TTL in (%v, %v]", key, low, high)
	}
	if left <= low || left > high {
		tb.Fatalf("ItemGetTtl(%q): got %v left, want a TTL in (%v, %v]", key, left, low, high)
	}
}

// short describes a value for a message without printing megabytes.
func short(v string) string {
	if len(v) <= 64 {
		return fmt.Sprintf("%q", v)
	}
	return fmt.Sprintf("%q... (%d bytes)", v[:32], len(v))
}
