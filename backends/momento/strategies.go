package momento

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	sdk "github.com/momentohq/client-sdk-go/momento"
	"github.com/momentohq/client-sdk-go/responses"

	"github.com/counterlab/counterlab/backends"
)

// Backoff between the attempts of set-if-equal: the wait doubles from
// backoffBase up to backoffCap, and a random half of it is dropped so that
// racing clients spread out.
const (
	backoffBase = time.Millisecond
	backoffCap  = 32 * time.Millisecond
)

// Increment adds one to counter id with the named strategy; see the package
// documentation and backends.Strategies.
func (b *Backend) Increment(
	ctx context.Context, strategy, id string, max int64,
) (backends.Result, error) {
	// Momento takes any max up to the top of the int64 range.
	s, err := backends.CheckIncrement(backends.Momento, strategy, id, max, math.MaxInt64)
	if err != nil {
		return backends.Result{}, err
	}

	if err := b.ensureCache(ctx); err != nil {
		return backends.Result{}, err
	}

	switch s.ID {
	case backends.MomentoIncrement:
		return b.increment(ctx, id)
	case backends.MomentoSetIfPresentNotEqual:
		return b.setIfPresentAndNotEqual(ctx, id, max)
	default:
		return b.setIfEqual(ctx, id, max)
	}
}

// increment is one Increment call: atomic in the store, which creates the
// item at 1 when it is missing.
func (b *Backend) increment(ctx context.Context, id string) (backends.Result, error) {
	if err := notSent(ctx, id); err != nil {
		return backends.Result{}, err
	}
	resp, err := b.client.Increment(ctx, &sdk.IncrementRequest{
		CacheName: b.cache,
		Field:     b.key(id),
		Amount:    1,
	})
	if err != nil {
		if sdkCode(err) == sdk.FailedPreconditionError {
			return backends.Result{}, b.incrementRefused(ctx, id, err)
		}
		return backends.Result{}, b.mapError(err, phaseWrite, "increment %q", id)
	}

	success, ok := resp.(*responses.IncrementSuccess)
	if !ok {
		return backends.Result{}, backends.Errorf(backends.CodeInternal,
			"increment %q: unexpected response %T", id, resp)
	}
	return backends.Result{Value: success.Value(), RoundTrips: 1, Attempts: 1}, nil
}

// incrementRefused explains a FailedPrecondition answer to Increment: the
// store refused, so nothing changed. The stored value is read back to tell
// a value that is no integer from one whose increment would overflow, unless
// the store's message already says it would overflow.
func (b *Backend) incrementRefused(ctx context.Context, id string, cause error) error {
	if strings.Contains(strings.ToLower(cause.Error()), "overflow") {
		return overflowError(id)
	}

	current, _, _, err := b.read(ctx, id)
	if err != nil {
		var be *backends.Error
		if errors.As(err, &be) && be.Code == backends.CodeNotInteger {
			return err
		}
		return backends.Wrap(backends.CodeNotInteger, cause,
			"counter %q: the store refused to increment it (its value is not an "+
				"integer or is at the int64 limit); it is left unchanged", id)
	}
	if current == math.MaxInt64 {
		return overflowError(id)
	}
	return backends.Wrap(backends.CodeNotInteger, cause,
		"counter %q: the store refused to increment it; it is left unchanged", id)
}

// setIfPresentAndNotEqual is the algorithm as commonly published. It reads
// the counter, then writes current+1 on the condition that the stored value
// is not max. That condition does not say "the value I read is still
// there", so two clients that read the same value both write the same next
// value and both succeed: one increment is lost. Kept to show it.
func (b *Backend) setIfPresentAndNotEqual(
	ctx context.Context, id string, max int64,
) (backends.Result, error) {
	current, found, _, err := b.read(ctx, id)
	if err != nil {
		return backends.Result{}, err
	}
	b.hook(ctx, id, current, found)

	if !found {
		stored, err := b.setIfAbsent(ctx, id)
		if err != nil {
			return backends.Result{}, err
		}
		if !stored {
			return backends.Result{}, backends.Errorf(backends.CodeConflict,
				"counter %q: another client created it between our read and our write",
				id).With("attempts", 1)
		}
		return backends.Result{Value: 1, RoundTrips: 2, Attempts: 1}, nil
	}

	if current == math.MaxInt64 {
		return backends.Result{}, overflowError(id)
	}
	next := current + 1
	if err := notSent(ctx, id); err != nil {
		return backends.Result{}, err
	}
	resp, err := b.client.SetIfPresentAndNotEqual(ctx, &sdk.SetIfPresentAndNotEqualRequest{
		CacheName: b.cache,
		Key:       b.key(id),
		Value:     sdk.String(strconv.FormatInt(next, 10)),
		NotEqual:  sdk.String(strconv.FormatInt(max, 10)),
	})
	if err != nil {
		return backends.Result{}, b.mapError(err, phaseWrite,
			"set-if-present-and-not-equal %q to %d", id, next)
	}

	switch resp.(type) {
	case *responses.SetIfPresentAndNotEqualStored:
		return backends.Result{Value: next, RoundTrips: 2, Attempts: 1}, nil
	case *responses.SetIfPresentAndNotEqualNotStored:
		// As published, every refusal counts as the limit, even when the
		// item vanished between the read and the write.
		return backends.Result{}, limitError(id, max)
	default:
		return backends.Result{}, backends.Errorf(backends.CodeInternal,
			"set-if-present-and-not-equal %q: unexpected response %T", id, resp)
	}
}

// setIfEqual is a compare-and-swap: it reads the counter and writes
// current+1 only if the item still holds exactly the bytes it read (or,
// for a missing counter, only if it is still missing). A refused write
// means another client changed the counter and nothing was written, so it
// is safe to start again from the read, a bounded number of times.
func (b *Backend) setIfEqual(
	ctx context.Context, id string, max int64,
) (backends.Result, error) {
	var res backends.Result
	for attempt := 1; attempt <= b.maxAttempts; attempt++ {
		if attempt > 1 {
			if err := sleep(ctx, backoff(attempt-1)); err != nil {
				return backends.Result{}, backends.Wrap(backends.CodeUnavailable, err,
					"counter %q: gave up after %d attempts; nothing was applied",
					id, attempt-1).With("attempts", attempt-1)
			}
		}
		res.Attempts = attempt

		current, found, raw, err := b.read(ctx, id)
		res.RoundTrips++
		if err != nil {
			return backends.Result{}, err
		}
		b.hook(ctx, id, current, found)

		// current < max <= MaxInt64 below, so current+1 cannot overflow.
		if found && current >= max {
			return backends.Result{}, limitError(id, max)
		}

		var stored bool
		next := int64(1)
		if found {
			next = current + 1
			stored, err = b.setIfEqualTo(ctx, id, next, raw)
		} else {
			stored, err = b.setIfAbsent(ctx, id)
		}
		res.RoundTrips++
		if err != nil {
			return backends.Result{}, err
		}
		if stored {
			res.Value = next
			return res, nil
		}
	}

	return backends.Result{}, backends.Errorf(backends.CodeConflict,
		"counter %q: other clients changed it before each of our %d attempts to write; "+
			"nothing was applied", id, b.maxAttempts).With("attempts", b.maxAttempts)
}

// setIfAbsent creates counter id at 1 if it is missing and reports whether
// it did.
func (b *Backend) setIfAbsent(ctx context.Context, id string) (bool, error) {
	if err := notSent(ctx, id); err != nil {
		return false, err
	}
	resp, err := b.client.SetIfAbsent(ctx, &sdk.SetIfAbsentRequest{
		CacheName: b.cache,
		Key:       b.key(id),
		Value:     sdk.String("1"),
	})
	if err != nil {
		return false, b.mapError(err, phaseWrite, "set-if-absent %q to 1", id)
	}

	switch resp.(type) {
	case *responses.SetIfAbsentStored:
		return true, nil
	case *responses.SetIfAbsentNotStored:
		return false, nil
	default:
		return false, backends.Errorf(backends.CodeInternal,
			"set-if-absent %q: unexpected response %T", id, resp)
	}
}

// setIfEqualTo writes next to counter id if it still holds the bytes raw,
// and reports whether it did.
func (b *Backend) setIfEqualTo(
	ctx context.Context, id string, next int64, raw []byte,
) (bool, error) {
	if err := notSent(ctx, id); err != nil {
		return false, err
	}
	resp, err := b.client.SetIfEqual(ctx, &sdk.SetIfEqualRequest{
		CacheName: b.cache,
		Key:       b.key(id),
		Value:     sdk.String(strconv.FormatInt(next, 10)),
		Equal:     sdk.Bytes(raw),
	})
	if err != nil {
		return false, b.mapError(err, phaseWrite, "set-if-equal %q to %d", id, next)
	}

	switch resp.(type) {
	case *responses.SetIfEqualStored:
		return true, nil
	case *responses.SetIfEqualNotStored:
		return false, nil
	default:
		return false, backends.Errorf(backends.CodeInternal,
			"set-if-equal %q: unexpected response %T", id, resp)
	}
}

// notSent returns an unavailable error when ctx is already done before a
// write: gRPC would fail the write without sending it, and the error would
// otherwise look like a write that got no answer.
func notSent(ctx context.Context, id string) error {
	if err := ctx.Err(); err != nil {
		return backends.Wrap(backends.CodeUnavailable, err,
			"counter %q: the request ended before the write was sent; nothing was applied", id)
	}
	return nil
}

// hook runs Options.AfterRead, if set.
func (b *Backend) hook(ctx context.Context, id string, current int64, found bool) {
	if b.afterRead != nil {
		b.afterRead(ctx, id, current, found)
	}
}

// backoff is the wait before retry n (1 for the first retry).
func backoff(n int) time.Duration {
	d := backoffCap
	if n < 6 {
		d = min(backoffCap, backoffBase<<(n-1))
	}
	half := d / 2
	return half + rand.N(half+1)
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// limitError is the limit_reached error, worded as the other backends word
// it. The value is not in it: the published algorithm does not know it.
func limitError(id string, max int64) *backends.Error {
	return backends.Errorf(backends.CodeLimitReached,
		"counter %q is at or above max %d", id, max).With("max", max)
}

func overflowError(id string) *backends.Error {
	return backends.Errorf(backends.CodeOverflow,
		"counter %q is at %d: one more would pass the int64 range; it is left unchanged",
		id, int64(math.MaxInt64))
}
