package momento

import (
	"errors"
	"fmt"
	"strings"

	sdk "github.com/momentohq/client-sdk-go/momento"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/counterlab/counterlab/backends"
)

// phase says whether a failed request could have changed the counter. The
// same SDK error means "nothing applied" after a read and "maybe applied"
// after a write, so the mapping depends on it.
type phase int

const (
	// phaseRead is a request that writes nothing: Get, Delete, Ping, the
	// control calls, and every read of a read-then-write strategy.
	phaseRead phase = iota
	// phaseWrite is a request that may add one to the counter: Increment,
	// SetIfAbsent, SetIfEqual, SetIfPresentAndNotEqual.
	phaseWrite
)

// mapError turns an SDK error into a *backends.Error. The rules:
//
//   - CacheNotFound: the cache is gone, so nothing was stored. The cache is
//     marked missing, the next request creates it again, and this one is
//     unavailable.
//   - The connection could not be made (gRPC Unavailable whose cause is a
//     name that does not resolve, a failed dial or TLS handshake): the
//     request never left this process, so it is unavailable whatever the
//     phase.
//   - LimitExceeded: Momento throttled the request before running it, so it
//     is unavailable.
//   - Timeout, Cancelled, any other Unavailable (the connection broke or the
//     server gave up after the request was sent), Internal and Unknown
//     server errors: after a read nothing was applied, so unavailable; after
//     a write the store may or may not have applied it, so outcome_unknown.
//     These are never retried.
//   - Everything else (bad request, authentication, permission, an SDK
//     failure) is internal, with the SDK error as the cause.
//
// FailedPrecondition on Increment is not handled here: the caller turns it
// into not_integer or overflow.
func (b *Backend) mapError(err error, ph phase, format string, args ...any) *backends.Error {
	what := fmt.Sprintf(format, args...)
	code := sdkCode(err)

	switch {
	case code == sdk.CacheNotFoundError:
		b.cacheReady.Store(false)
		return backends.Wrap(backends.CodeUnavailable, err,
			"%s: cache %q not found; it will be created again, nothing was applied",
			what, b.cache)

	case neverSent(err):
		return backends.Wrap(backends.CodeUnavailable, err,
			"%s: cannot connect to %s; nothing was applied", what, b.target.Address)

	case code == sdk.LimitExceededError:
		return backends.Wrap(backends.CodeUnavailable, err,
			"%s: Momento refused the request (limit exceeded); nothing was applied", what)

	case code == sdk.TimeoutError, code == sdk.CanceledError,
		code == sdk.ServerUnavailableError, code == sdk.InternalServerError,
		code == sdk.UnknownServiceError:
		if ph == phaseRead {
			return backends.Wrap(backends.CodeUnavailable, err,
				"%s: no answer from %s; nothing was applied", what, b.target.Address)
		}
		return backends.Wrap(backends.CodeOutcomeUnknown, err,
			"%s: the write was sent to %s but no answer came back; "+
				"it may or may not have been applied, and it is not retried",
			what, b.target.Address)

	default:
		return backends.Wrap(backends.CodeInternal, err, "%s", what)
	}
}

// sdkCode is the Momento error code of err, or "" when err is no SDK error.
func sdkCode(err error) string {
	var me sdk.MomentoError
	if errors.As(err, &me) {
		return me.Code()
	}
	return ""
}

// neverSent reports whether err says no connection to the server could be
// had at all, so the request was never sent. gRPC fails such requests with
// Unavailable and, as the message, the reason it found no connection: the
// name did not resolve, or the dial or the TLS handshake failed. (Requests
// queued on a connection that closed before sending them are retried by
// gRPC itself, transparently.) Any other Unavailable may come from a
// request that was sent.
func neverSent(err error) bool {
	if sdkCode(err) != sdk.ServerUnavailableError {
		return false
	}

	var me sdk.MomentoError
	if !errors.As(err, &me) || me.OriginalErr() == nil {
		return false
	}
	st, ok := status.FromError(me.OriginalErr())
	if !ok || st.Code() != codes.Unavailable {
		return false
	}
	msg := st.Message()
	for _, reason := range noConnectionReasons {
		if strings.Contains(msg, reason) {
			return true
		}
	}
	return false
}

// noConnectionReasons are the parts of gRPC's messages that say a request
// found no connection to go out on.
var noConnectionReasons = []string{
	"Error while dialing",             // TCP connect failed (refused, no route, DNS)
	"authentication handshake failed", // TLS handshake failed
	"name resolver error",             // the address did not resolve
	"produced zero addresses",         // the resolver found no address
	"last resolver error",             // a resolver failure kept by the balancer
}
