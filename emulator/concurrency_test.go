package emulator_test

import (
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/momentohq/client-sdk-go/momento"
	"github.com/momentohq/client-sdk-go/responses"

	"github.com/counterlab/counterlab/emulator"
)

func TestConcurrentIncrementsAreAtomic(t *testing.T) {
	s, shared, cache := setup(t)
	const workers, each = 48, 40

	clients := []momento.CacheClient{shared, s.Client(t), s.Client(t)}
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			c := clients[w%len(clients)]
			for range each {
				if _, err := increment(t, c, cache, "hot", 1); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Increment: %v", err)
	}
	s.CheckGet(t, cache, "hot", strconv.Itoa(workers*each))
}

// TestConcurrentCompareAndSwap counts with Get then SetIfAbsent or
// SetIfEqual, retrying on NotStored: no update may be lost.
func TestConcurrentCompareAndSwap(t *testing.T) {
	s, c, cache := setup(t)
	const workers, each = 32, 15

	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for range workers {
		wg.Go(func() {
			for range each {
				if err := casIncrement(t, c, cache, "cas"); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("compare-and-swap: %v", err)
	}
	s.CheckGet(t, cache, "cas", strconv.Itoa(workers*each))
}

func casIncrement(t *testing.T, c momento.CacheClient, cache, key string) error {
	for attempt := 0; attempt < 10000; attempt++ {
		cur, ok := getValue(t, c, cache, key)
		var stored bool
		if !ok {
			resp, err := c.SetIfAbsent(ctx(t), &momento.SetIfAbsentRequest{
				CacheName: cache, Key: momento.String(key), Value: momento.String("1"),
			})
			if err != nil {
				return err
			}
			_, stored = resp.(*responses.SetIfAbsentStored)
		} else {
			n, err := strconv.Atoi(cur)
			if err != nil {
				return err
			}
			resp, err := c.SetIfEqual(ctx(t), &momento.SetIfEqualRequest{
				CacheName: cache, Key: momento.String(key),
				Value: momento.String(strconv.Itoa(n + 1)), Equal: momento.String(cur),
			})
			if err != nil {
				return err
			}
			_, stored = resp.(*responses.SetIfEqualStored)
		}
		if stored {
			return nil
		}
	}
	return fmt.Errorf("no swap after 10000 attempts")
}

// TestConcurrentMixedUse runs writes, reads, deletes, TTL changes, cache
// creation and clock moves at once, for the race detector.
func TestConcurrentMixedUse(t *testing.T) {
	s, c, cache := setup(t)
	var wg sync.WaitGroup
	for w := range 16 {
		wg.Go(func() {
			key := momento.String(fmt.Sprintf("k%d", w%4))
			for i := range 20 {
				switch i % 5 {
				case 0:
					setValue(t, c, cache, string(key), "v", time.Minute)
				case 1:
					getValue(t, c, cache, string(key))
				case 2:
					_, _ = c.Delete(ctx(t), &momento.DeleteRequest{CacheName: cache, Key: key})
				case 3:
					_, _ = c.UpdateTtl(ctx(t), &momento.UpdateTtlRequest{
						CacheName: cache, Key: key, Ttl: time.Hour})
				case 4:
					s.FastForward(time.Millisecond)
					s.CreateCache(fmt.Sprintf("extra-%d-%d", w, i))
					_ = s.Keys(cache)
				}
			}
		})
	}
	wg.Wait()

	if got := len(s.Caches()); got != 1+16*4 {
		t.Fatalf("caches: got %d, want %d", got, 1+16*4)
	}
}

func TestRunTClosesAtCleanup(t *testing.T) {
	var addr string
	t.Run("inner", func(t *testing.T) {
		s := emulator.RunT(t)
		addr = s.Addr()
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatalf("dial a running emulator: %v", err)
		}
		conn.Close()
	})

	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err == nil {
		conn.Close()
		t.Fatalf("dial %s after the test's cleanup: got a connection, want refused", addr)
	}
}
