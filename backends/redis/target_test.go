package redis

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	goredis "github.com/redis/go-redis/v9"
	"github.com/testcontainers/testcontainers-go"

	"github.com/counterlab/counterlab/backends"
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

// target starts a server for one test and stops it when the test ends.
type target struct {
	name  string
	start func(t *testing.T) server
}

// targets lists every server kind: the same cases run against each.
var targets = []target{
	{"embedded", startMiniredis},
	{"container", startContainer},
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
	testenv.Docker(t)

	ctx := context.Background()
	c, err := testcontainers.Run(ctx, testenv.RedisImage(),
		testcontainers.WithExposedPorts("6379/tcp"))
	t.Cleanup(func() {
		if err := testcontainers.TerminateContainer(c); err != nil {
			t.Errorf("terminate redis container: %v", err)
		}
	})
	if err != nil {
		t.Fatalf("start %s: %v", testenv.RedisImage(), err)
	}
	addr, err := c.PortEndpoint(ctx, "6379/tcp", "")
	if err != nil {
		t.Fatalf("redis container address: %v", err)
	}

	s := newServer(t, "redis://"+addr, true)
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := s.admin.Ping(ctx).Err()
		if err == nil {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis container at %s never answered PING: %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
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

// counterID is an id unique to the running (sub)test.
func counterID(t *testing.T) string {
	return strings.NewReplacer("/", ":", " ", "_").Replace(t.Name())
}

// wantCode fails t unless err is a *backends.Error with code want.
func wantCode(t *testing.T, err error, want backends.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", want)
	}
	if got := backends.ErrorCode(err); got != want {
		t.Fatalf("got code %s (%v), want %s", got, err, want)
	}
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
