package redis

import (
	"context"
	"log/slog"
	"testing"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"

	"github.com/counterlab/counterlab/backends/backendtest"
	"github.com/counterlab/counterlab/internal/testenv"
)

// server is a Redis server the shared cases run against.
type server struct {
	url string
	// admin is a plain client for setting up and checking cases.
	admin *goredis.Client
	// real is true for a real redis-server, false for miniredis.
	real bool
}

// targets lists every server kind: the same cases run against each.
var targets = []backendtest.Target[server]{
	{Name: "embedded", Start: startMiniredis},
	{Name: "container", Start: startContainer},
}

// startMiniredis starts miniredis on loopback.
func startMiniredis(t *testing.T) server {
	t.Helper()
	mr := miniredis.RunT(t)
	return newServer(t, "redis://"+mr.Addr(), false)
}

// startContainer starts testenv.RedisImage() with testcontainers, and waits
// until PING answers from the host.
func startContainer(t *testing.T) server {
	t.Helper()
	addr := backendtest.Container(t, testenv.RedisImage(), "6379/tcp", "")

	s := newServer(t, "redis://"+addr, true)
	backendtest.WaitReady(t, "redis container at "+addr+", PING", func(ctx context.Context) error {
		return s.admin.Ping(ctx).Err()
	})
	return s
}

// newServer wraps url with an admin client closed at cleanup.
func newServer(t *testing.T, url string, real bool) server {
	t.Helper()
	opt, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	admin := goredis.NewClient(opt)
	t.Cleanup(func() { _ = admin.Close() })
	return server{url: url, admin: admin, real: real}
}

// newBackend returns a backend for url, closed at cleanup.
func newBackend(t *testing.T, url string) *Backend {
	t.Helper()
	return newBackendWith(t, Options{URL: url})
}

// newBackendWith returns a backend for opts, closed at cleanup.
func newBackendWith(t *testing.T, opts Options) *Backend {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	b, err := New(context.Background(), opts)
	if err != nil {
		t.Fatalf("New(%+v): %v", opts, err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// rawValue returns the value stored at key, or "(missing)".
func rawValue(t *testing.T, admin *goredis.Client, key string) string {
	t.Helper()
	v, err := admin.Get(context.Background(), key).Result()
	if err == goredis.Nil {
		return "(missing)"
	}
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return v
}
