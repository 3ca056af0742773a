package emulator_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/momentohq/client-sdk-go/momento"
	"github.com/momentohq/client-sdk-go/responses"

	"github.com/counterlab/counterlab/emulator"
)

// setup starts an emulator with one cache and returns an SDK client to it.
func setup(t *testing.T) (*emulator.Server, momento.CacheClient, string) {
	t.Helper()
	s := emulator.RunT(t)
	const cache = "test-cache"
	if !s.CreateCache(cache) {
		t.Fatalf("CreateCache(%q) found an existing cache", cache)
	}
	return s, s.Client(t), cache
}

func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

// momentoCode returns the SDK error code of err, or "" when err is not one.
func momentoCode(err error) string {
	var me momento.MomentoError
	if errors.As(err, &me) {
		return me.Code()
	}
	return ""
}

func getValue(t *testing.T, c momento.CacheClient, cache, key string) (string, bool) {
	t.Helper()
	resp, err := c.Get(ctx(t), &momento.GetRequest{CacheName: cache, Key: momento.String(key)})
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	switch r := resp.(type) {
	case *responses.GetHit:
		return r.ValueString(), true
	case *responses.GetMiss:
		return "", false
	default:
		t.Fatalf("Get(%q): unexpected response %T", key, resp)
		return "", false
	}
}

func setValue(t *testing.T, c momento.CacheClient, cache, key, value string, ttl time.Duration) {
	t.Helper()
	_, err := c.Set(ctx(t), &momento.SetRequest{
		CacheName: cache, Key: momento.String(key), Value: momento.String(value), Ttl: ttl,
	})
	if err != nil {
		t.Fatalf("Set(%q): %v", key, err)
	}
}

func TestSetGetDelete(t *testing.T) {
	s, c, cache := setup(t)

	if _, ok := getValue(t, c, cache, "k"); ok {
		t.Fatalf("Get before Set: got a hit, want a miss")
	}

	setValue(t, c, cache, "k", "v1", 0)
	if got, ok := getValue(t, c, cache, "k"); !ok || got != "v1" {
		t.Fatalf("Get after Set: got %q (hit %v), want %q", got, ok, "v1")
	}
	s.CheckGet(t, cache, "k", "v1")

	if _, err := c.Delete(ctx(t), &momento.DeleteRequest{
		CacheName: cache, Key: momento.String("k"),
	}); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, ok := getValue(t, c, cache, "k"); ok {
		t.Fatalf("Get after Delete: got a hit, want a miss")
	}
	if _, err := c.Delete(ctx(t), &momento.DeleteRequest{
		CacheName: cache, Key: momento.String("never-set"),
	}); err != nil {
		t.Fatalf("Delete of a missing key: got %v, want success", err)
	}
}

func TestEmptyValueIsAHit(t *testing.T) {
	_, c, cache := setup(t)

	setValue(t, c, cache, "empty", "", 0)
	got, ok := getValue(t, c, cache, "empty")
	if !ok || got != "" {
		t.Fatalf("Get of an empty value: got %q (hit %v), want an empty hit", got, ok)
	}
}

func TestMissingCacheIsCacheNotFound(t *testing.T) {
	_, c, _ := setup(t)

	_, err := c.Get(ctx(t), &momento.GetRequest{CacheName: "no-such-cache", Key: momento.String("k")})
	if got := momentoCode(err); got != momento.CacheNotFoundError {
		t.Fatalf("Get on a missing cache: got code %q (%v), want %q",
			got, err, momento.CacheNotFoundError)
	}

	_, err = c.Increment(ctx(t), &momento.IncrementRequest{
		CacheName: "no-such-cache", Field: momento.String("k"), Amount: 1,
	})
	if got := momentoCode(err); got != momento.CacheNotFoundError {
		t.Fatalf("Increment on a missing cache: got code %q (%v), want %q",
			got, err, momento.CacheNotFoundError)
	}
}

func TestSetIfConditions(t *testing.T) {
	const (
		stored    = 0
		notStored = 1
	)
	tests := []struct {
		name    string
		initial *string // nil: the key is absent
		call    func(c momento.CacheClient, cache string) (int, error)
	}{
		{"present on present", strp("a"), setIfPresent},
		{"present on absent", nil, setIfPresent},
		{"absent on absent", nil, setIfAbsent},
		{"absent on present", strp("a"), setIfAbsent},
		{"equal on equal", strp("a"), setIfEqual("a")},
		{"equal on different", strp("b"), setIfEqual("a")},
		{"equal on absent", nil, setIfEqual("a")},
		{"present-and-not-equal on different", strp("b"), setIfPresentAndNotEqual("a")},
		{"present-and-not-equal on equal", strp("a"), setIfPresentAndNotEqual("a")},
		{"present-and-not-equal on absent", nil, setIfPresentAndNotEqual("a")},
		{"absent-or-equal on absent", nil, setIfAbsentOrEqual("a")},
		{"absent-or-equal on equal", strp("a"), setIfAbsentOrEqual("a")},
		{"absent-or-equal on different", strp("b"), setIfAbsentOrEqual("a")},
		{"not-equal on absent", nil, setIfNotEqual("a")},
		{"not-equal on different", strp("b"), setIfNotEqual("a")},
		{"not-equal on equal", strp("a"), setIfNotEqual("a")},
	}
	want := map[string]int{
		"present on present": stored, "present on absent": notStored,
		"absent on absent": stored, "absent on present": notStored,
		"equal on equal": stored, "equal on different": notStored, "equal on absent": notStored,
		"present-and-not-equal on different": stored,
		"present-and-not-equal on equal":     notStored,
		"present-and-not-equal on absent":    notStored,
		"absent-or-equal on absent":          stored, "absent-or-equal on equal": stored,
		"absent-or-equal on different": notStored,
		"not-equal on absent":          stored, "not-equal on different": stored,
		"not-equal on equal": notStored,
	}

	s, c, cache := setup(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _ = c.Delete(ctx(t), &momento.DeleteRequest{CacheName: cache, Key: momento.String("k")})
			if tt.initial != nil {
				setValue(t, c, cache, "k", *tt.initial, 0)
			}

			got, err := tt.call(c, cache)
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			if got != want[tt.name] {
				t.Fatalf("got outcome %v, want %v (0 stored, 1 not stored)", got, want[tt.name])
			}

			value, ok := s.Get(cache, "k")
			switch {
			case got == stored && value != "new":
				t.Fatalf("after storing: value %q, want %q", value, "new")
			case got == notStored && tt.initial == nil && ok:
				t.Fatalf("after not storing on absent: got value %q, want none", value)
			case got == notStored && tt.initial != nil && value != *tt.initial:
				t.Fatalf("after not storing: value %q, want %q", value, *tt.initial)
			}
		})
	}
}

func strp(s string) *string { return &s }

func typeName(v any) string { return fmt.Sprintf("%T", v) }

// The helpers below call one SetIf variant, writing "new" to key "k", and
// map its response to stored or not stored.

func setIfPresent(c momento.CacheClient, cache string) (int, error) {
	resp, err := c.SetIfPresent(context.Background(), &momento.SetIfPresentRequest{
		CacheName: cache, Key: momento.String("k"), Value: momento.String("new"),
	})
	if err != nil {
		return -1, err
	}
	if _, ok := resp.(*responses.SetIfPresentStored); ok {
		return 0, nil
	}
	return 1, nil
}

func setIfAbsent(c momento.CacheClient, cache string) (int, error) {
	resp, err := c.SetIfAbsent(context.Background(), &momento.SetIfAbsentRequest{
		CacheName: cache, Key: momento.String("k"), Value: momento.String("new"),
	})
	if err != nil {
		return -1, err
	}
	if _, ok := resp.(*responses.SetIfAbsentStored); ok {
		return 0, nil
	}
	return 1, nil
}

func setIfEqual(v string) func(momento.CacheClient, string) (int, error) {
	return func(c momento.CacheClient, cache string) (int, error) {
		resp, err := c.SetIfEqual(context.Background(), &momento.SetIfEqualRequest{
			CacheName: cache, Key: momento.String("k"), Value: momento.String("new"),
			Equal: momento.String(v),
		})
		if err != nil {
			return -1, err
		}
		if _, ok := resp.(*responses.SetIfEqualStored); ok {
			return 0, nil
		}
		return 1, nil
	}
}

func setIfPresentAndNotEqual(v string) func(momento.CacheClient, string) (int, error) {
	return func(c momento.CacheClient, cache string) (int, error) {
		resp, err := c.SetIfPresentAndNotEqual(context.Background(),
			&momento.SetIfPresentAndNotEqualRequest{
				CacheName: cache, Key: momento.String("k"), Value: momento.String("new"),
				NotEqual: momento.String(v),
			})
		if err != nil {
			return -1, err
		}
		if _, ok := resp.(*responses.SetIfPresentAndNotEqualStored); ok {
			return 0, nil
		}
		return 1, nil
	}
}

func setIfAbsentOrEqual(v string) func(momento.CacheClient, string) (int, error) {
	return func(c momento.CacheClient, cache string) (int, error) {
		resp, err := c.SetIfAbsentOrEqual(context.Background(), &momento.SetIfAbsentOrEqualRequest{
			CacheName: cache, Key: momento.String("k"), Value: momento.String("new"),
			Equal: momento.String(v),
		})
		if err != nil {
			return -1, err
		}
		if _, ok := resp.(*responses.SetIfAbsentOrEqualStored); ok {
			return 0, nil
		}
		return 1, nil
	}
}

func setIfNotEqual(v string) func(momento.CacheClient, string) (int, error) {
	return func(c momento.CacheClient, cache string) (int, error) {
		resp, err := c.SetIfNotEqual(context.Background(), &momento.SetIfNotEqualRequest{
			CacheName: cache, Key: momento.String("k"), Value: momento.String("new"),
			NotEqual: momento.String(v),
		})
		if err != nil {
			return -1, err
		}
		if _, ok := resp.(*responses.SetIfNotEqualStored); ok {
			return 0, nil
		}
		return 1, nil
	}
}

func increment(t *testing.T, c momento.CacheClient, cache, key string, amount int64) (int64, error) {
	t.Helper()
	resp, err := c.Increment(ctx(t), &momento.IncrementRequest{
		CacheName: cache, Field: momento.String(key), Amount: amount,
	})
	if err != nil {
		return 0, err
	}
	return resp.(*responses.IncrementSuccess).Value(), nil
}

func TestIncrement(t *testing.T) {
	s, c, cache := setup(t)

	for i, want := range []int64{5, 8, -2} {
		amount := []int64{5, 3, -10}[i]
		got, err := increment(t, c, cache, "n", amount)
		if err != nil {
			t.Fatalf("Increment by %d: %v", amount, err)
		}
		if got != want {
			t.Fatalf("Increment by %d: got %d, want %d", amount, got, want)
		}
	}
	s.CheckGet(t, cache, "n", "-2")
}

func TestIncrementFailuresLeaveValue(t *testing.T) {
	tests := []struct {
		name    string
		initial string
		amount  int64
	}{
		{"not an integer", "abc", 1},
		{"empty value", "", 1},
		{"decimal fraction", "1.5", 1},
		{"past int64 max", "9223372036854775807", 1},
		{"past int64 min", "-9223372036854775808", -1},
		{"stored beyond int64", "9223372036854775808", 0},
	}
	s, c, cache := setup(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setValue(t, c, cache, "bad", tt.initial, 0)

			_, err := increment(t, c, cache, "bad", tt.amount)
			if got := momentoCode(err); got != momento.FailedPreconditionError {
				t.Fatalf("got code %q (%v), want %q", got, err, momento.FailedPreconditionError)
			}
			s.CheckGet(t, cache, "bad", tt.initial)
		})
	}
}

func TestControl(t *testing.T) {
	s := emulator.RunT(t)
	c := s.Client(t)

	resp, err := c.CreateCache(ctx(t), &momento.CreateCacheRequest{CacheName: "one"})
	if _, ok := resp.(*responses.CreateCacheSuccess); err != nil || !ok {
		t.Fatalf("CreateCache: got %T, %v; want success", resp, err)
	}
	resp, err = c.CreateCache(ctx(t), &momento.CreateCacheRequest{CacheName: "one"})
	if _, ok := resp.(*responses.CreateCacheAlreadyExists); err != nil || !ok {
		t.Fatalf("CreateCache again: got %T, %v; want already exists", resp, err)
	}
	if _, err := c.CreateCache(ctx(t), &momento.CreateCacheRequest{CacheName: "two"}); err != nil {
		t.Fatalf("CreateCache two: %v", err)
	}

	list, err := c.ListCaches(ctx(t), &momento.ListCachesRequest{})
	if err != nil {
		t.Fatalf("ListCaches: %v", err)
	}
	var names []string
	for _, ci := range list.(*responses.ListCachesSuccess).Caches() {
		names = append(names, ci.Name())
	}
	if len(names) != 2 || names[0] != "one" || names[1] != "two" {
		t.Fatalf("ListCaches: got %v, want [one two]", names)
	}

	if _, err := c.DeleteCache(ctx(t), &momento.DeleteCacheRequest{CacheName: "one"}); err != nil {
		t.Fatalf("DeleteCache: %v", err)
	}
	if got := s.Caches(); len(got) != 1 || got[0] != "two" {
		t.Fatalf("caches after DeleteCache: got %v, want [two]", got)
	}

	if _, err := c.Ping(ctx(t)); err != nil {
		t.Fatalf("Ping: %v", err)
	}
}
