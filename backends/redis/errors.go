package redis

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync/atomic"

	goredis "github.com/redis/go-redis/v9"

	"github.com/counterlab/counterlab/backends"
)

// Classification of failures. What matters for an increment is whether it
// may have been applied:
//
//   - An error reply means the server read the command and refused it:
//     nothing was applied. The reply says why (not an integer, overflow, a
//     server that is loading or read-only...).
//   - Failing to dial, to get a connection from the pool, or to complete the
//     connection's handshake (HELLO, CLIENT SETINFO...) happens before the
//     command is written: unavailable, nothing applied.
//   - A failed write leaves at most part of the command on a connection that
//     go-redis then closes; the server never runs a partial command:
//     unavailable.
//   - Anything after the command was written (a read timeout, a connection
//     closed or reset before the reply, a reply that does not parse) is
//     outcome_unknown: the server may have run it.
//
// go-redis runs the handshake of a new connection inside the caller's command,
// so a tracker in the context tells the two apart: the hooks below see the
// handshake's own commands, and OnConnect marks its end.

// classify turns an error of go-redis into a *backends.Error. what names the
// operation and its input, as in "INCR of counter \"a\"".
func classify(ctx context.Context, err error, format string, args ...any) *backends.Error {
	what := fmt.Sprintf(format, args...)
	code, why := classifyCode(ctx, err)
	return backends.Wrap(code, err, "%s: %s", what, why)
}

// Reasons, in plain words, given with each code.
const (
	whyNotInteger  = "the stored value is not an integer; it was left unchanged"
	whyOverflow    = "the counter is at the largest 64-bit integer; it was left unchanged"
	whyRefused     = "Redis refused the command; nothing was applied"
	whyUnreachable = "Redis could not be reached; nothing was applied"
	whyUnknown     = "the command was sent but no answer came back; " +
		"it may or may not have been applied, and it was not retried"
)

// classifyCode picks the code of err and the reason shown with it.
func classifyCode(ctx context.Context, err error) (backends.Code, string) {
	if t := trackerOf(ctx); t != nil && t.handshake.Load() && !t.connected.Load() {
		return backends.CodeUnavailable, "setting up a connection to Redis failed; " +
			"the command was not sent"
	}

	var rerr goredis.Error
	if errors.As(err, &rerr) {
		return replyCode(rerr.Error())
	}

	var op *net.OpError
	switch {
	case errors.Is(err, goredis.ErrClosed):
		return backends.CodeUnavailable, "the Redis client is closed; nothing was applied"
	case errors.Is(err, goredis.ErrPoolTimeout), errors.Is(err, goredis.ErrPoolExhausted):
		return backends.CodeUnavailable, "no connection to Redis was free in time; " +
			"nothing was applied"
	case errors.As(err, &op) && (op.Op == "dial" || op.Op == "write"):
		return backends.CodeUnavailable, whyUnreachable
	case errors.As(err, new(*net.DNSError)):
		return backends.CodeUnavailable, whyUnreachable
	case errors.As(err, &op):
		return backends.CodeOutcomeUnknown, whyUnknown
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		// With ContextTimeoutEnabled off, go-redis reads and writes under its
		// own timeouts; the context only bounds the wait for a connection.
		return backends.CodeUnavailable, "the request ended before the command was sent; " +
			"nothing was applied"
	}
	return backends.CodeOutcomeUnknown, whyUnknown
}

// replyCode maps an error reply of Redis to a code. The first word of the
// reply is its error code.
func replyCode(msg string) (backends.Code, string) {
	switch {
	case strings.Contains(msg, "value is not an integer"), strings.HasPrefix(msg, "WRONGTYPE"):
		return backends.CodeNotInteger, whyNotInteger
	case strings.Contains(msg, "would overflow"):
		return backends.CodeOverflow, whyOverflow
	}

	code, _, _ := strings.Cut(msg, " ")
	switch code {
	case "LOADING", "BUSY", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "READONLY", "OOM",
		"MISCONF", "NOREPLICAS", "NOAUTH", "WRONGPASS", "NOPERM", "MOVED", "ASK":
		return backends.CodeUnavailable, whyRefused
	}
	if strings.HasPrefix(msg, "ERR max number of clients") {
		return backends.CodeUnavailable, whyRefused
	}
	return backends.CodeInternal, "Redis answered with an unexpected error; nothing was applied"
}

// tracker follows one call of the backend through go-redis.
type tracker struct {
	depth     atomic.Int32 // commands of this call in progress
	handshake atomic.Bool  // a new connection's handshake ran inside the call
	connected atomic.Bool  // that handshake completed
}

type trackerKey struct{}

// track returns ctx carrying a new tracker.
func track(ctx context.Context) context.Context {
	return context.WithValue(ctx, trackerKey{}, &tracker{})
}

// trackerOf returns the tracker in ctx, or nil.
func trackerOf(ctx context.Context) *tracker {
	t, _ := ctx.Value(trackerKey{}).(*tracker)
	return t
}

// markConnected is the OnConnect callback: the handshake is over.
func markConnected(ctx context.Context, _ *goredis.Conn) error {
	if t := trackerOf(ctx); t != nil {
		t.connected.Store(true)
	}
	return nil
}

// handshakeHook notices the commands go-redis sends inside a call of ours:
// they can only be a new connection's handshake.
type handshakeHook struct{}

// DialHook passes dials through.
func (handshakeHook) DialHook(next goredis.DialHook) goredis.DialHook { return next }

// ProcessHook marks nested commands as handshake.
func (handshakeHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		t := trackerOf(ctx)
		if t == nil {
			return next(ctx, cmd)
		}
		if t.depth.Add(1) > 1 {
			t.handshake.Store(true)
		}
		defer t.depth.Add(-1)
		return next(ctx, cmd)
	}
}

// ProcessPipelineHook marks pipelines as handshake: the backend sends none.
func (handshakeHook) ProcessPipelineHook(
	next goredis.ProcessPipelineHook,
) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		if t := trackerOf(ctx); t != nil {
			t.handshake.Store(true)
		}
		return next(ctx, cmds)
	}
}

// readFailed turns outcome_unknown into unavailable for a read, which has
// no outcome to be unsure about.
func readFailed(e *backends.Error) *backends.Error {
	if e.Code == backends.CodeOutcomeUnknown {
		e.Code = backends.CodeUnavailable
	}
	return e
}
