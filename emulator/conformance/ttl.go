package conformance

// This file checks TTLs: ItemGetTtl, UpdateTtl, IncreaseTtl, DecreaseTtl,
// expiry in real time after short TTLs, and FastForward where the target
// offers it.

import (
	"testing"
	"time"

	"github.com/momentohq/client-sdk-go/momento"
	"github.com/momentohq/client-sdk-go/responses"
	"github.com/momentohq/client-sdk-go/utils"
)

// shortTTL is the TTL of the real-time expiry cases.
const shortTTL = time.Second

// expiryGrace is how long after its TTL an item may still be served before
// the suite calls it a failure.
const expiryGrace = 3 * time.Second

func testItemGetTTL(t *testing.T, s *suite) {
	k := s.key("ttl")
	s.set(t, k, "v", time.Minute)
	s.checkRemaining(t, k, 50*time.Second, time.Minute)

	k2 := s.key("default-ttl")
	s.set(t, k2, "v", 0)
	s.checkRemaining(t, k2, DefaultTTL-10*time.Second, DefaultTTL)
}

func testUpdateTTL(t *testing.T, s *suite) {
	k := s.key("update")
	s.set(t, k, "v", time.Minute)
	key := momento.String(k)

	inc, err := s.c.IncreaseTtl(callCtx(t), &momento.IncreaseTtlRequest{
		CacheName: s.cache, Key: key, Ttl: 2 * time.Minute,
	})
	if err != nil || !is[responses.IncreaseTtlSet](inc) {
		t.Fatalf("IncreaseTtl from 1m to 2m: got %T, %v; want set", inc, err)
	}
	s.checkRemaining(t, k, 110*time.Second, 2*time.Minute)

	inc, err = s.c.IncreaseTtl(callCtx(t), &momento.IncreaseTtlRequest{
		CacheName: s.cache, Key: key, Ttl: 30 * time.Second,
	})
	if err != nil || !is[responses.IncreaseTtlNotSet](inc) {
		t.Fatalf("IncreaseTtl from 2m to 30s: got %T, %v; want not set", inc, err)
	}
	s.checkRemaining(t, k, 100*time.Second, 2*time.Minute)

	dec, err := s.c.DecreaseTtl(callCtx(t), &momento.DecreaseTtlRequest{
		CacheName: s.cache, Key: key, Ttl: 5 * time.Minute,
	})
	if err != nil || !is[responses.DecreaseTtlNotSet](dec) {
		t.Fatalf("DecreaseTtl from 2m to 5m: got %T, %v; want not set", dec, err)
	}
	s.checkRemaining(t, k, 100*time.Second, 2*time.Minute)

	dec, err = s.c.DecreaseTtl(callCtx(t), &momento.DecreaseTtlRequest{
		CacheName: s.cache, Key: key, Ttl: 30 * time.Second,
	})
	if err != nil || !is[responses.DecreaseTtlSet](dec) {
		t.Fatalf("DecreaseTtl from 2m to 30s: got %T, %v; want set", dec, err)
	}
	s.checkRemaining(t, k, 20*time.Second, 30*time.Second)

	for _, ttl := range []time.Duration{5 * time.Minute, 40 * time.Second} {
		upd, err := s.c.UpdateTtl(callCtx(t), &momento.UpdateTtlRequest{
			CacheName: s.cache, Key: key, Ttl: ttl,
		})
		if err != nil || !is[responses.UpdateTtlSet](upd) {
			t.Fatalf("UpdateTtl to %v: got %T, %v; want set", ttl, upd, err)
		}
		s.checkRemaining(t, k, ttl-10*time.Second, ttl)
	}
	s.checkValue(t, k, "v")
}

func testTTLMissing(t *testing.T, s *suite) {
	key := momento.String(s.key("missing"))

	if _, ok := s.remaining(t, string(key)); ok {
		t.Fatalf("ItemGetTtl of a missing key: got a hit, want a miss")
	}
	upd, err := s.c.UpdateTtl(callCtx(t), &momento.UpdateTtlRequest{
		CacheName: s.cache, Key: key, Ttl: time.Minute,
	})
	if err != nil || !is[responses.UpdateTtlMiss](upd) {
		t.Fatalf("UpdateTtl of a missing key: got %T, %v; want a miss", upd, err)
	}
	inc, err := s.c.IncreaseTtl(callCtx(t), &momento.IncreaseTtlRequest{
		CacheName: s.cache, Key: key, Ttl: time.Minute,
	})
	if err != nil || !is[responses.IncreaseTtlMiss](inc) {
		t.Fatalf("IncreaseTtl of a missing key: got %T, %v; want a miss", inc, err)
	}
	dec, err := s.c.DecreaseTtl(callCtx(t), &momento.DecreaseTtlRequest{
		CacheName: s.cache, Key: key, Ttl: time.Minute,
	})
	if err != nil || !is[responses.DecreaseTtlMiss](dec) {
		t.Fatalf("DecreaseTtl of a missing key: got %T, %v; want a miss", dec, err)
	}
	// None of them created the item.
	s.checkMiss(t, string(key))
}

func testFastForward(t *testing.T, s *suite) {
	if s.tg.FastForward == nil {
		t.Fatalf("%s: Run leaves this case out when the target has no FastForward", s.tg.name())
	}
	gone, kept := s.key("ff-gone"), s.key("ff-kept")
	s.set(t, gone, "v", time.Hour)
	s.set(t, kept, "v", 3*time.Hour)

	s.tg.FastForward(2 * time.Hour)
	s.checkMiss(t, gone)
	s.checkValue(t, kept, "v")
	s.checkRemaining(t, kept, 50*time.Minute, time.Hour)
}

// expectExpiry checks that key, written between sent and done with a TTL of
// ttl, holds want until its TTL and is a miss soon after.
func (s *suite) expectExpiry(t *testing.T, key, want string, sent, done time.Time,
	ttl time.Duration) {
	t.Helper()

	v, ok := s.get(t, key)
	if time.Now().Before(sent.Add(ttl)) && (!ok || v != want) {
		t.Fatalf("Get(%q) before its %v TTL: got %q (hit %v), want %q", key, ttl, v, ok, want)
	}

	time.Sleep(time.Until(done.Add(ttl)))
	deadline := done.Add(ttl + expiryGrace)
	for {
		if _, ok := s.get(t, key); !ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Get(%q): still a hit %v after its %v TTL, want a miss", key,
				time.Since(done), ttl)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func testSetExpires(t *testing.T, s *suite) {
	k := s.key("expires")
	sent := time.Now()
	s.set(t, k, "v", shortTTL)
	s.expectExpiry(t, k, "v", sent, time.Now(), shortTTL)
}

func testIncrementExpires(t *testing.T, s *suite) {
	k := s.key("counter-expires")
	ttl := utils.Of(shortTTL)
	sent := time.Now()
	resp, err := s.c.Increment(callCtx(t), &momento.IncrementRequest{
		CacheName: s.cache, Field: momento.String(k), Amount: 7, Ttl: &ttl,
	})
	if err != nil || !is[responses.IncrementSuccess](resp) {
		t.Fatalf("Increment with a %v TTL: got %T, %v; want success", shortTTL, resp, err)
	}
	s.expectExpiry(t, k, "7", sent, time.Now(), shortTTL)

	// Once expired, the counter starts again from the amount.
	if got, err := s.increment(t, k, 1); err != nil || got != 1 {
		t.Fatalf("Increment after expiry: got %d, %v; want 1", got, err)
	}
}

func testSetIfAbsentExpires(t *testing.T, s *suite) {
	k := s.key("setif-expires")
	sent := time.Now()
	resp, err := s.c.SetIfAbsent(callCtx(t), &momento.SetIfAbsentRequest{
		CacheName: s.cache, Key: momento.String(k), Value: momento.String("v"), Ttl: shortTTL,
	})
	if err != nil || !is[responses.SetIfAbsentStored](resp) {
		t.Fatalf("SetIfAbsent with a %v TTL: got %T, %v; want stored", shortTTL, resp, err)
	}
	s.expectExpiry(t, k, "v", sent, time.Now(), shortTTL)

	// An expired item is absent for the conditions too.
	resp, err = s.c.SetIfAbsent(callCtx(t), &momento.SetIfAbsentRequest{
		CacheName: s.cache, Key: momento.String(k), Value: momento.String("w"),
	})
	if err != nil || !is[responses.SetIfAbsentStored](resp) {
		t.Fatalf("SetIfAbsent after expiry: got %T, %v; want stored", resp, err)
	}
	s.checkValue(t, k, "w")
}

func testUpdateTTLExpires(t *testing.T, s *suite) {
	k := s.key("update-expires")
	s.set(t, k, "v", 0)

	sent := time.Now()
	upd, err := s.c.UpdateTtl(callCtx(t), &momento.UpdateTtlRequest{
		CacheName: s.cache, Key: momento.String(k), Ttl: shortTTL,
	})
	if err != nil || !is[responses.UpdateTtlSet](upd) {
		t.Fatalf("UpdateTtl to %v: got %T, %v; want set", shortTTL, upd, err)
	}
	s.expectExpiry(t, k, "v", sent, time.Now(), shortTTL)
}
