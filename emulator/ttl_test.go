package emulator_test

import (
	"testing"
	"time"

	"github.com/momentohq/client-sdk-go/momento"
	"github.com/momentohq/client-sdk-go/responses"
	"github.com/momentohq/client-sdk-go/utils"
)

func TestItemsExpireInRealTime(t *testing.T) {
	_, c, cache := setup(t)

	setValue(t, c, cache, "short", "v", 150*time.Millisecond)
	if _, ok := getValue(t, c, cache, "short"); !ok {
		t.Fatalf("Get right after Set: got a miss, want a hit")
	}

	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, ok := getValue(t, c, cache, "short"); !ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("item with a 150ms TTL still served after 5s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestFastForwardExpiresItems(t *testing.T) {
	s, c, cache := setup(t)

	setValue(t, c, cache, "k", "v", time.Hour)
	s.FastForward(59 * time.Minute)
	if _, ok := getValue(t, c, cache, "k"); !ok {
		t.Fatalf("after 59m of a 1h TTL: got a miss, want a hit")
	}

	s.FastForward(2 * time.Minute)
	if _, ok := getValue(t, c, cache, "k"); ok {
		t.Fatalf("after 61m of a 1h TTL: got a hit, want a miss")
	}
	if got := s.Keys(cache); len(got) != 0 {
		t.Fatalf("Keys after expiry: got %v, want none", got)
	}
}

func TestIncrementRefreshesTTL(t *testing.T) {
	s, c, cache := setup(t)

	_, err := c.Increment(ctx(t), &momento.IncrementRequest{
		CacheName: cache, Field: momento.String("n"), Amount: 1,
		Ttl: &utils.CollectionTtl{Ttl: time.Hour},
	})
	if err != nil {
		t.Fatalf("Increment: %v", err)
	}
	s.FastForward(50 * time.Minute)

	_, err = c.Increment(ctx(t), &momento.IncrementRequest{
		CacheName: cache, Field: momento.String("n"), Amount: 1,
		Ttl: &utils.CollectionTtl{Ttl: time.Hour},
	})
	if err != nil {
		t.Fatalf("second Increment: %v", err)
	}
	s.FastForward(50 * time.Minute)

	// 100 minutes after creation, 50 after the last increment: still there.
	s.CheckGet(t, cache, "n", "2")
	left, ok := s.TTL(cache, "n")
	if !ok || left > 10*time.Minute+time.Second || left < 10*time.Minute-5*time.Second {
		t.Fatalf("TTL left: got %v (found %v), want about 10m", left, ok)
	}
}

func TestItemGetTTL(t *testing.T) {
	s, c, cache := setup(t)

	setValue(t, c, cache, "k", "v", time.Hour)
	s.FastForward(20 * time.Minute)

	resp, err := c.ItemGetTtl(ctx(t), &momento.ItemGetTtlRequest{
		CacheName: cache, Key: momento.String("k"),
	})
	if err != nil {
		t.Fatalf("ItemGetTtl: %v", err)
	}
	hit, ok := resp.(*responses.ItemGetTtlHit)
	if !ok {
		t.Fatalf("ItemGetTtl: got %T, want a hit", resp)
	}
	if got := hit.RemainingTtl(); got > 40*time.Minute || got < 40*time.Minute-5*time.Second {
		t.Fatalf("remaining TTL: got %v, want about 40m", got)
	}

	resp, err = c.ItemGetTtl(ctx(t), &momento.ItemGetTtlRequest{
		CacheName: cache, Key: momento.String("missing"),
	})
	if _, ok := resp.(*responses.ItemGetTtlMiss); err != nil || !ok {
		t.Fatalf("ItemGetTtl of a missing key: got %T, %v; want a miss", resp, err)
	}
}

func TestUpdateTTL(t *testing.T) {
	s, c, cache := setup(t)
	key := momento.String("k")

	tests := []struct {
		name     string
		call     func() (any, error)
		want     any
		wantLeft time.Duration // 0: not checked
	}{
		{"increase to more", func() (any, error) {
			return c.IncreaseTtl(ctx(t), &momento.IncreaseTtlRequest{
				CacheName: cache, Key: key, Ttl: 2 * time.Hour})
		}, &responses.IncreaseTtlSet{}, 2 * time.Hour},
		{"increase to less", func() (any, error) {
			return c.IncreaseTtl(ctx(t), &momento.IncreaseTtlRequest{
				CacheName: cache, Key: key, Ttl: time.Minute})
		}, &responses.IncreaseTtlNotSet{}, 2 * time.Hour},
		{"decrease to more", func() (any, error) {
			return c.DecreaseTtl(ctx(t), &momento.DecreaseTtlRequest{
				CacheName: cache, Key: key, Ttl: 3 * time.Hour})
		}, &responses.DecreaseTtlNotSet{}, 2 * time.Hour},
		{"decrease to less", func() (any, error) {
			return c.DecreaseTtl(ctx(t), &momento.DecreaseTtlRequest{
				CacheName: cache, Key: key, Ttl: 30 * time.Minute})
		}, &responses.DecreaseTtlSet{}, 30 * time.Minute},
		{"overwrite", func() (any, error) {
			return c.UpdateTtl(ctx(t), &momento.UpdateTtlRequest{
				CacheName: cache, Key: key, Ttl: 5 * time.Hour})
		}, &responses.UpdateTtlSet{}, 5 * time.Hour},
		{"overwrite missing", func() (any, error) {
			return c.UpdateTtl(ctx(t), &momento.UpdateTtlRequest{
				CacheName: cache, Key: momento.String("missing"), Ttl: time.Hour})
		}, &responses.UpdateTtlMiss{}, 0},
		{"increase missing", func() (any, error) {
			return c.IncreaseTtl(ctx(t), &momento.IncreaseTtlRequest{
				CacheName: cache, Key: momento.String("missing"), Ttl: time.Hour})
		}, &responses.IncreaseTtlMiss{}, 0},
	}

	setValue(t, c, cache, "k", "v", time.Hour)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.call()
			if err != nil {
				t.Fatalf("got error %v", err)
			}
			if typeName(got) != typeName(tt.want) {
				t.Fatalf("got %s, want %s", typeName(got), typeName(tt.want))
			}
			if tt.wantLeft == 0 {
				return
			}
			left, _ := s.TTL(cache, "k")
			if left > tt.wantLeft || left < tt.wantLeft-5*time.Second {
				t.Fatalf("TTL left: got %v, want about %v", left, tt.wantLeft)
			}
		})
	}
}
