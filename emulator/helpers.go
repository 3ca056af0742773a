package emulator

// This file holds the helpers tests use to seed and inspect the emulator
// directly, without going through gRPC.

import (
	"fmt"
	"testing"
	"time"

	"github.com/momentohq/client-sdk-go/auth"
	"github.com/momentohq/client-sdk-go/config"
	"github.com/momentohq/client-sdk-go/config/logger/momento_default_logger"
	"github.com/momentohq/client-sdk-go/momento"
)

// DefaultTTL is the TTL of items seeded with Set and a zero TTL, and the
// default TTL of the client that Client returns.
const DefaultTTL = 24 * time.Hour

// CreateCache creates a cache; it reports false when the cache exists.
func (s *Server) CreateCache(name string) bool { return s.store.create(name) }

// DeleteCache deletes a cache; it reports false when there was none.
func (s *Server) DeleteCache(name string) bool { return s.store.drop(name) }

// Caches returns the cache names, sorted.
func (s *Server) Caches() []string { return s.store.names() }

// Set stores an item, creating the cache when missing. A TTL of 0 or less
// means DefaultTTL. It fails when the item is over MaxItemSize.
func (s *Server) Set(cacheName, key, value string, ttl time.Duration) error {
	if cacheName == "" || key == "" {
		return fmt.Errorf("emulator: set %q in cache %q: cache name and key must not be empty",
			key, cacheName)
	}
	if size := len(key) + len(value); size > MaxItemSize {
		return fmt.Errorf("emulator: set %q in cache %q: %d bytes is over the %d-byte item limit",
			key, cacheName, size, MaxItemSize)
	}
	if ttl <= 0 {
		ttl = DefaultTTL
	}

	c, _ := s.store.ensure(cacheName)
	now := s.clock.now()
	c.set([]byte(key), []byte(value), expiresAt(now, uint64(ttl/time.Millisecond)))
	return nil
}

// Get returns the live item stored under key; ok is false when the cache or
// the item is missing or the item has expired.
func (s *Server) Get(cacheName, key string) (value string, ok bool) {
	c := s.store.cache(cacheName)
	if c == nil {
		return "", false
	}
	it, ok := c.get([]byte(key), s.clock.now())
	return it.value, ok
}

// TTL returns the time left before an item expires; ok is false when the
// item is missing.
func (s *Server) TTL(cacheName, key string) (left time.Duration, ok bool) {
	c := s.store.cache(cacheName)
	if c == nil {
		return 0, false
	}
	now := s.clock.now()
	it, ok := c.get([]byte(key), now)
	if !ok {
		return 0, false
	}
	return time.Duration(it.expires - now), true
}

// Keys returns the live keys of a cache, sorted; nil when the cache is
// missing.
func (s *Server) Keys(cacheName string) []string {
	c := s.store.cache(cacheName)
	if c == nil {
		return nil
	}
	return c.keys(s.clock.now())
}

// CheckGet fails the test unless the cache holds want under key.
func (s *Server) CheckGet(tb testing.TB, cacheName, key, want string) {
	tb.Helper()
	got, ok := s.Get(cacheName, key)
	if !ok {
		tb.Errorf("emulator: cache %q has no item %q, want %q", cacheName, key, want)
		return
	}
	if got != want {
		tb.Errorf("emulator: cache %q item %q: got %q, want %q", cacheName, key, got, want)
	}
}

// Client returns a Momento SDK cache client connected to the emulator
// through the SDK's momento-local credential provider, with DefaultTTL and
// the SDK's laptop configuration logging warnings only. The test's cleanup
// closes it.
func (s *Server) Client(tb testing.TB) momento.CacheClient {
	tb.Helper()
	cred, err := auth.NewMomentoLocalProvider(&auth.MomentoLocalConfig{
		Hostname: s.Host(),
		Port:     uint(s.Port()),
	})
	if err != nil {
		tb.Fatalf("emulator: momento-local credential provider: %v", err)
	}

	logs := momento_default_logger.NewDefaultMomentoLoggerFactory(momento_default_logger.WARN)
	client, err := momento.NewCacheClientWithEagerConnectTimeout(
		config.LaptopLatestWithLogger(logs), cred, DefaultTTL, 10*time.Second)
	if err != nil {
		tb.Fatalf("emulator: Momento cache client for %s: %v", s.Addr(), err)
	}
	tb.Cleanup(client.Close)
	return client
}
