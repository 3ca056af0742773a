package emulator_test

// Concurrency checks through many real SDK clients, each on its own
// connection; run them with -race.

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/momentohq/client-sdk-go/auth"
	"github.com/momentohq/client-sdk-go/config"
	"github.com/momentohq/client-sdk-go/config/logger/momento_default_logger"
	"github.com/momentohq/client-sdk-go/config/retry"
	"github.com/momentohq/client-sdk-go/momento"
	"github.com/momentohq/client-sdk-go/responses"

	"github.com/counterlab/counterlab/emulator"
)

// clientsNoRetry returns n SDK clients of s, each with its own connection
// and with retries off, so that every increment reaches the server once.
func clientsNoRetry(t *testing.T, s *emulator.Server, n int) []momento.CacheClient {
	t.Helper()
	cred, err := auth.NewMomentoLocalProvider(&auth.MomentoLocalConfig{
		Hostname: s.Host(), Port: uint(s.Port()),
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := momento_default_logger.NewDefaultMomentoLoggerFactory(momento_default_logger.WARN)
	cfg := config.LaptopLatestWithLogger(logs).
		WithRetryStrategy(retry.NewNeverRetryStrategy()).
		WithClientTimeout(time.Minute)

	out := make([]momento.CacheClient, n)
	for i := range out {
		c, err := momento.NewCacheClientWithEagerConnectTimeout(cfg, cred, time.Hour,
			30*time.Second)
		if err != nil {
			t.Fatalf("client %d of %d: %v", i+1, n, err)
		}
		t.Cleanup(c.Close)
		out[i] = c
	}
	return out
}

// TestSixtyFourClientsIncrementOneKey has 64 SDK clients increment one key
// at once: the values returned are exactly 1..N, each once, and every
// client sees its own values rise.
func TestSixtyFourClientsIncrementOneKey(t *testing.T) {
	const clients, each = 64, 40
	s := emulator.RunT(t)
	s.CreateCache("race")
	cs := clientsNoRetry(t, s, clients)

	start := make(chan struct{})
	got := make([][]int64, clients)
	errs := make([]error, clients)
	var wg sync.WaitGroup
	for w, c := range cs {
		wg.Go(func() {
			<-start
			for range each {
				resp, err := c.Increment(context.Background(), &momento.IncrementRequest{
					CacheName: "race", Field: momento.String("hot"), Amount: 1,
				})
				if err != nil {
					errs[w] = err
					return
				}
				got[w] = append(got[w], resp.(*responses.IncrementSuccess).Value())
			}
		})
	}
	close(start)
	wg.Wait()

	var all []int64
	for w := range cs {
		if errs[w] != nil {
			t.Fatalf("client %d: Increment: %v", w, errs[w])
		}
		if !slices.IsSorted(got[w]) {
			t.Errorf("client %d saw its values go down: %v", w, got[w])
		}
		all = append(all, got[w]...)
	}
	slices.Sort(all)
	for i, v := range all {
		if v != int64(i+1) {
			t.Fatalf("sorted values at %d: got %d, want %d (values 1..%d each once)",
				i, v, i+1, clients*each)
		}
	}
	if len(all) != clients*each {
		t.Fatalf("got %d values, want %d", len(all), clients*each)
	}
	s.CheckGet(t, "race", "hot", strconv.Itoa(clients*each))
}

// TestConcurrentWritesWhileSweeping writes short-lived items from several
// clients while the sweeper runs often, the clock moves and caches come
// and go: for the race detector, and to check that counters with a long
// TTL survive all of it.
func TestConcurrentWritesWhileSweeping(t *testing.T) {
	s, err := emulator.RunWithOptions(emulator.Options{
		SweepInterval: time.Millisecond, Caches: []string{"sweep"},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	cs := clientsNoRetry(t, s, 8)

	const rounds = 60
	var wg sync.WaitGroup
	errs := make(chan error, len(cs)+1)
	for w, c := range cs {
		wg.Go(func() {
			for i := range rounds {
				key := momento.String(fmt.Sprintf("short-%d-%d", w, i%5))
				_, err := c.Set(context.Background(), &momento.SetRequest{
					CacheName: "sweep", Key: key, Value: momento.String("v"),
					Ttl: time.Duration(1+i%3) * time.Millisecond,
				})
				if err == nil {
					_, err = c.Get(context.Background(), &momento.GetRequest{
						CacheName: "sweep", Key: key,
					})
				}
				if err == nil {
					_, err = c.Increment(context.Background(), &momento.IncrementRequest{
						CacheName: "sweep", Field: momento.String("long"), Amount: 1,
					})
				}
				if err != nil {
					errs <- fmt.Errorf("client %d round %d: %w", w, i, err)
					return
				}
			}
		})
	}
	wg.Go(func() {
		for i := range rounds {
			name := fmt.Sprintf("churn-%d", i)
			s.CreateCache(name)
			if err := s.Set(name, "k", "v", time.Millisecond); err != nil {
				errs <- err
				return
			}
			s.FastForward(time.Millisecond)
			s.DeleteCache(name)
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	s.CheckGet(t, "sweep", "long", strconv.Itoa(len(cs)*rounds))
}
