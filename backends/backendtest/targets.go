package backendtest

import (
	"context"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"github.com/counterlab/counterlab/internal/testenv"
)

// Target is one kind of server the shared cases run against. Start starts a
// server for one test and stops it when the test ends; S describes it.
type Target[S any] struct {
	Name  string
	Start func(t *testing.T) S
}

// Case is one shared case, run against a server of every target.
type Case[S any] struct {
	Name string
	Run  func(t *testing.T, s S)
}

// EveryTarget starts each target in a subtest of its own and runs every case
// against it, each in a subtest of that one.
func EveryTarget[S any](t *testing.T, targets []Target[S], cases []Case[S]) {
	t.Helper()
	for _, tg := range targets {
		t.Run(tg.Name, func(t *testing.T) {
			s := tg.Start(t)
			for _, c := range cases {
				t.Run(c.Name, func(t *testing.T) { c.Run(t, s) })
			}
		})
	}
}

// Container starts image with port (such as "6379/tcp") exposed and
// terminates it when t ends. It returns the port's address on the host, as
// a URL when scheme is not empty. Without Docker it skips or fails t, as
// testenv.Docker decides.
func Container(t *testing.T, image, port, scheme string) string {
	t.Helper()
	testenv.Docker(t)

	ctx := context.Background()
	c, err := testcontainers.Run(ctx, image, testcontainers.WithExposedPorts(port))
	t.Cleanup(func() {
		if err := testcontainers.TerminateContainer(c); err != nil {
			t.Errorf("terminate container of %s: %v", image, err)
		}
	})
	if err != nil {
		t.Fatalf("start %s: %v", image, err)
	}
	addr, err := c.PortEndpoint(ctx, port, scheme)
	if err != nil {
		t.Fatalf("address of %s port %s: %v", image, port, err)
	}
	return addr
}

// Timing of WaitReady.
const (
	readyTimeout = 60 * time.Second
	readyTry     = 2 * time.Second
	readyPause   = 100 * time.Millisecond
)

// WaitReady calls ready, each call bounded by two seconds, until it
// succeeds, and fails t if it has not after a minute. what names the server
// and the request in the failure, e.g. "redis container at host:port, PING".
func WaitReady(t *testing.T, what string, ready func(ctx context.Context) error) {
	t.Helper()
	deadline := time.Now().Add(readyTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), readyTry)
		err := ready(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: no answer after %s: %v", what, readyTimeout, err)
		}
		time.Sleep(readyPause)
	}
}
