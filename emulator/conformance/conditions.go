package conformance

// This file checks the conditional writes: SetIf with every condition,
// SetIfNotExists, and the hash family (GetWithHash, SetWithHash and the
// SetIf...Hash... methods, which travel as SetIfHash).

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/momentohq/client-sdk-go/momento"
	"github.com/momentohq/client-sdk-go/responses"
)

// setIfCall writes "new" to key under one condition and reports whether
// it was stored.
type setIfCall func(ctx context.Context, c momento.CacheClient, cache, key string) (bool, error)

func setIfPresent(ctx context.Context, c momento.CacheClient, cache, key string) (bool, error) {
	resp, err := c.SetIfPresent(ctx, &momento.SetIfPresentRequest{
		CacheName: cache, Key: momento.String(key), Value: momento.String("new"),
	})
	return is[responses.SetIfPresentStored](resp), err
}

func setIfAbsent(ctx context.Context, c momento.CacheClient, cache, key string) (bool, error) {
	resp, err := c.SetIfAbsent(ctx, &momento.SetIfAbsentRequest{
		CacheName: cache, Key: momento.String(key), Value: momento.String("new"),
	})
	return is[responses.SetIfAbsentStored](resp), err
}

func setIfEqual(v string) setIfCall {
	return func(ctx context.Context, c momento.CacheClient, cache, key string) (bool, error) {
		resp, err := c.SetIfEqual(ctx, &momento.SetIfEqualRequest{
			CacheName: cache, Key: momento.String(key), Value: momento.String("new"),
			Equal: momento.String(v),
		})
		return is[responses.SetIfEqualStored](resp), err
	}
}

func setIfPresentAndNotEqual(v string) setIfCall {
	return func(ctx context.Context, c momento.CacheClient, cache, key string) (bool, error) {
		resp, err := c.SetIfPresentAndNotEqual(ctx, &momento.SetIfPresentAndNotEqualRequest{
			CacheName: cache, Key: momento.String(key), Value: momento.String("new"),
			NotEqual: momento.String(v),
		})
		return is[responses.SetIfPresentAndNotEqualStored](resp), err
	}
}

func setIfAbsentOrEqual(v string) setIfCall {
	return func(ctx context.Context, c momento.CacheClient, cache, key string) (bool, error) {
		resp, err := c.SetIfAbsentOrEqual(ctx, &momento.SetIfAbsentOrEqualRequest{
			CacheName: cache, Key: momento.String(key), Value: momento.String("new"),
			Equal: momento.String(v),
		})
		return is[responses.SetIfAbsentOrEqualStored](resp), err
	}
}

func setIfNotEqual(v string) setIfCall {
	return func(ctx context.Context, c momento.CacheClient, cache, key string) (bool, error) {
		resp, err := c.SetIfNotEqual(ctx, &momento.SetIfNotEqualRequest{
			CacheName: cache, Key: momento.String(key), Value: momento.String("new"),
			NotEqual: momento.String(v),
		})
		return is[responses.SetIfNotEqualStored](resp), err
	}
}

func testSetIf(t *testing.T, s *suite) {
	absent := (*string)(nil)
	a, b, empty := ptr("a"), ptr("b"), ptr("")
	tests := []struct {
		name    string
		initial *string // nil: the key is absent
		call    setIfCall
		stored  bool
	}{
		{"present/on present", a, setIfPresent, true},
		{"present/on empty value", empty, setIfPresent, true},
		{"present/on absent", absent, setIfPresent, false},
		{"absent/on absent", absent, setIfAbsent, true},
		{"absent/on present", a, setIfAbsent, false},
		{"absent/on empty value", empty, setIfAbsent, false},
		{"equal/on equal", a, setIfEqual("a"), true},
		{"equal/on different", b, setIfEqual("a"), false},
		{"equal/on absent", absent, setIfEqual("a"), false},
		{"equal/empty on empty value", empty, setIfEqual(""), true},
		{"present-and-not-equal/on different", b, setIfPresentAndNotEqual("a"), true},
		{"present-and-not-equal/on equal", a, setIfPresentAndNotEqual("a"), false},
		{"present-and-not-equal/on absent", absent, setIfPresentAndNotEqual("a"), false},
		{"absent-or-equal/on absent", absent, setIfAbsentOrEqual("a"), true},
		{"absent-or-equal/on equal", a, setIfAbsentOrEqual("a"), true},
		{"absent-or-equal/on different", b, setIfAbsentOrEqual("a"), false},
		{"not-equal/on absent", absent, setIfNotEqual("a"), true},
		{"not-equal/on different", b, setIfNotEqual("a"), true},
		{"not-equal/on equal", a, setIfNotEqual("a"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := s.key("setif")
			if tt.initial != nil {
				s.set(t, k, *tt.initial, 0)
			}

			stored, err := tt.call(callCtx(t), s.c, s.cache, k)
			if err != nil {
				t.Fatalf("got error %v, want an outcome", err)
			}
			if stored != tt.stored {
				t.Fatalf("got stored %v, want %v", stored, tt.stored)
			}

			switch {
			case stored:
				s.checkValue(t, k, "new")
			case tt.initial == nil:
				s.checkMiss(t, k)
			default:
				s.checkValue(t, k, *tt.initial)
			}
		})
	}
}

func ptr(v string) *string { return &v }

func testSetIfNotExists(t *testing.T, s *suite) {
	k := s.key("snx")
	for i, want := range []bool{true, false} {
		resp, err := s.c.SetIfNotExists(callCtx(t), &momento.SetIfNotExistsRequest{
			CacheName: s.cache, Key: momento.String(k),
			Value: momento.String([]string{"a", "b"}[i]),
		})
		if err != nil {
			t.Fatalf("SetIfNotExists %d: %v", i+1, err)
		}
		stored := is[responses.SetIfNotExistsStored](resp)
		if !stored && !is[responses.SetIfNotExistsNotStored](resp) {
			t.Fatalf("SetIfNotExists %d: got %T, want stored or not stored", i+1, resp)
		}
		if stored != want {
			t.Fatalf("SetIfNotExists %d: got stored %v, want %v", i+1, stored, want)
		}
	}
	s.checkValue(t, k, "a")
}

// getHash returns the value and hash GetWithHash reports; ok is false on a
// miss.
func (s *suite) getHash(t *testing.T, key string) (value string, hash []byte, ok bool) {
	t.Helper()
	resp, err := s.c.GetWithHash(callCtx(t), &momento.GetWithHashRequest{
		CacheName: s.cache, Key: momento.String(key),
	})
	if err != nil {
		t.Fatalf("GetWithHash(%q): %v", key, err)
	}
	if hit, ok := as[responses.GetWithHashHit](resp); ok {
		return hit.ValueString(), hit.HashByte(), true
	}
	if !is[responses.GetWithHashMiss](resp) {
		t.Fatalf("GetWithHash(%q): got %T, want a hit or a miss", key, resp)
	}
	return "", nil, false
}

func testHash(t *testing.T, s *suite) {
	k := s.key("hash")
	if _, _, ok := s.getHash(t, k); ok {
		t.Fatalf("GetWithHash of a missing key: got a hit, want a miss")
	}

	set, err := s.c.SetWithHash(callCtx(t), &momento.SetWithHashRequest{
		CacheName: s.cache, Key: momento.String(k), Value: momento.String("one"), Ttl: time.Minute,
	})
	stored, ok := as[responses.SetWithHashStored](set)
	if err != nil || !ok || len(stored.HashByte()) == 0 {
		t.Fatalf("SetWithHash: got %#v, %v; want stored with a hash", set, err)
	}
	h1 := stored.HashByte()
	v, h, ok := s.getHash(t, k)
	if !ok || v != "one" || !bytes.Equal(h, h1) {
		t.Fatalf("GetWithHash: got %q %x (hit %v), want %q with SetWithHash's hash %x",
			v, h, ok, "one", h1)
	}
	s.checkRemaining(t, k, 50*time.Second, time.Minute)

	wrong := []byte("not the hash")
	hashCases := []struct {
		name   string
		call   hashCall
		hash   []byte // nil: the current hash
		key    string // "" means k
		stored bool
	}{
		{"present-and-hash-equal/wrong hash", presentAndHashEqual(s, k), wrong, "", false},
		{"present-and-hash-equal/right hash", presentAndHashEqual(s, k), nil, "", true},
		{"present-and-hash-not-equal/right hash", presentAndHashNotEqual(s, k), nil, "", false},
		{"present-and-hash-not-equal/wrong hash", presentAndHashNotEqual(s, k), wrong, "", true},
		{"absent-or-hash-equal/wrong hash", absentOrHashEqual(s, k), wrong, "", false},
		{"absent-or-hash-equal/right hash", absentOrHashEqual(s, k), nil, "", true},
		{"absent-or-hash-not-equal/right hash", absentOrHashNotEqual(s, k), nil, "", false},
		{"absent-or-hash-not-equal/wrong hash", absentOrHashNotEqual(s, k), wrong, "", true},
	}
	for i, hc := range hashCases {
		t.Run(hc.name, func(t *testing.T) {
			before, cur, _ := s.getHash(t, k)
			hash := hc.hash
			if hash == nil {
				hash = cur
			}
			value := "v" + string(rune('a'+i))

			got, newHash, err := hc.call(callCtx(t), value, hash)
			if err != nil {
				t.Fatalf("got error %v, want an outcome", err)
			}
			if got != hc.stored {
				t.Fatalf("got stored %v, want %v", got, hc.stored)
			}
			after, afterHash, _ := s.getHash(t, k)
			switch {
			case got && (after != value || !bytes.Equal(newHash, afterHash)):
				t.Fatalf("after storing: value %q hash %x, want %q with the reported hash %x",
					after, afterHash, value, newHash)
			case got && bytes.Equal(afterHash, cur):
				t.Fatalf("after storing %q: the hash %x did not change", value, afterHash)
			case !got && after != before:
				t.Fatalf("after not storing: value %q, want %q", after, before)
			}
		})
	}

	// On an absent key only the "absent or" conditions store, and only the
	// "present and" ones refuse, whatever the hash.
	absentCases := []struct {
		name   string
		call   func(s *suite, key string) hashCall
		stored bool
	}{
		{"present-and-hash-equal", presentAndHashEqual, false},
		{"present-and-hash-not-equal", presentAndHashNotEqual, false},
		{"absent-or-hash-equal", absentOrHashEqual, true},
		{"absent-or-hash-not-equal", absentOrHashNotEqual, true},
	}
	for _, ac := range absentCases {
		t.Run(ac.name+"/on absent", func(t *testing.T) {
			key := s.key("hash-absent")
			got, _, err := ac.call(s, key)(callCtx(t), "x", wrong)
			if err != nil {
				t.Fatalf("got error %v, want an outcome", err)
			}
			if got != ac.stored {
				t.Fatalf("got stored %v, want %v", got, ac.stored)
			}
			if got {
				s.checkValue(t, key, "x")
			} else {
				s.checkMiss(t, key)
			}
		})
	}
}

// hashCall writes value under one hash condition and reports whether it
// was stored, with the new hash.
type hashCall func(ctx context.Context, value string, hash []byte) (bool, []byte, error)

// The helpers below return the hashCall of one condition on key.

func presentAndHashEqual(s *suite, key string) hashCall {
	return func(ctx context.Context, value string, hash []byte) (bool, []byte, error) {
		resp, err := s.c.SetIfPresentAndHashEqual(ctx, &momento.SetIfPresentAndHashEqualRequest{
			CacheName: s.cache, Key: momento.String(key), Value: momento.String(value),
			HashEqual: momento.Bytes(hash),
		})
		st, ok := as[responses.SetIfPresentAndHashEqualStored](resp)
		return ok, st.HashByte(), err
	}
}

func presentAndHashNotEqual(s *suite, key string) hashCall {
	return func(ctx context.Context, value string, hash []byte) (bool, []byte, error) {
		resp, err := s.c.SetIfPresentAndHashNotEqual(ctx,
			&momento.SetIfPresentAndHashNotEqualRequest{
				CacheName: s.cache, Key: momento.String(key), Value: momento.String(value),
				HashNotEqual: momento.Bytes(hash),
			})
		st, ok := as[responses.SetIfPresentAndHashNotEqualStored](resp)
		return ok, st.HashByte(), err
	}
}

func absentOrHashEqual(s *suite, key string) hashCall {
	return func(ctx context.Context, value string, hash []byte) (bool, []byte, error) {
		resp, err := s.c.SetIfAbsentOrHashEqual(ctx, &momento.SetIfAbsentOrHashEqualRequest{
			CacheName: s.cache, Key: momento.String(key), Value: momento.String(value),
			HashEqual: momento.Bytes(hash),
		})
		st, ok := as[responses.SetIfAbsentOrHashEqualStored](resp)
		return ok, st.HashByte(), err
	}
}

func absentOrHashNotEqual(s *suite, key string) hashCall {
	return func(ctx context.Context, value string, hash []byte) (bool, []byte, error) {
		resp, err := s.c.SetIfAbsentOrHashNotEqual(ctx, &momento.SetIfAbsentOrHashNotEqualRequest{
			CacheName: s.cache, Key: momento.String(key), Value: momento.String(value),
			HashNotEqual: momento.Bytes(hash),
		})
		st, ok := as[responses.SetIfAbsentOrHashNotEqualStored](resp)
		return ok, st.HashByte(), err
	}
}
