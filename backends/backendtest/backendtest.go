// Package backendtest holds the test helpers the backend packages share.
// They work on any backends.Backend, reached through its real client and
// server; each package keeps its own store-specific cases.
package backendtest

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/counterlab/counterlab/backends"
)

// CounterID is an id unique to the running (sub)test.
func CounterID(t testing.TB) string {
	return strings.NewReplacer("/", ":", " ", "_").Replace(t.Name())
}

// WantCode fails t unless err is a *backends.Error with code want, and
// returns it.
func WantCode(t testing.TB, err error, want backends.Code) *backends.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", want)
	}
	var e *backends.Error
	if !errors.As(err, &e) {
		t.Fatalf("got %T %v, want a *backends.Error with code %s", err, err, want)
	}
	if e.Code != want {
		t.Fatalf("got code %s (%v), want %s", e.Code, err, want)
	}
	return e
}

// WantLimitReached checks that err is the limit_reached error every backend
// gives for counter id at max: the same message and the details {"max"}.
func WantLimitReached(t testing.TB, err error, id string, max int64) {
	t.Helper()
	e := WantCode(t, err, backends.CodeLimitReached)
	if want := fmt.Sprintf("counter %q is at or above max %d", id, max); e.Message != want {
		t.Errorf("got message %q, want %q", e.Message, want)
	}
	if len(e.Details) != 1 || e.Details["max"] != max {
		t.Errorf("got details %v, want only max %d", e.Details, max)
	}
}

// FreeAddr returns a loopback address where nothing listens.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_ = ln.Close()
	return addr
}

// Call is the strategy and max of one increment.
type Call struct {
	Strategy string
	Max      int64
}

// Calls lists every strategy of backend, in the order of
// backends.Strategies, with max for the conditional ones and 0 for the
// others.
func Calls(backend string, max int64) []Call {
	var out []Call
	for _, s := range backends.StrategiesOf(backend) {
		c := Call{Strategy: s.ID}
		if s.Conditional {
			c.Max = max
		}
		out = append(out, c)
	}
	return out
}
