package backendtest

import (
	"context"
	"testing"

	"github.com/counterlab/counterlab/backends"
)

// Invalid is a call a backend must refuse as invalid_input.
type Invalid struct {
	Name     string
	Strategy string
	ID       string
	Max      int64
}

// WantInvalid runs each call on b in a subtest and fails it unless b refuses
// it with invalid_input; Get and Reset of an empty id must be refused too.
func WantInvalid(t *testing.T, b backends.Backend, calls []Invalid) {
	t.Helper()
	ctx := context.Background()
	for _, c := range calls {
		t.Run(c.Name, func(t *testing.T) {
			_, err := b.Increment(ctx, c.Strategy, c.ID, c.Max)
			WantCode(t, err, backends.CodeInvalidInput)
		})
	}

	_, err := b.Get(ctx, "")
	WantCode(t, err, backends.CodeInvalidInput)
	WantCode(t, b.Reset(ctx, ""), backends.CodeInvalidInput)
}

// WantDefaults checks that an empty strategy picks the default on a new
// counter: without max an unconditional increment, with max a conditional
// one that stops at max.
func WantDefaults(t *testing.T, b backends.Backend) {
	t.Helper()
	ctx := context.Background()
	id := CounterID(t)
	steps := []struct {
		max  int64
		want int64         // the value after the increment, when code is ""
		code backends.Code // the error code expected, if any
	}{
		{max: 0, want: 1}, {max: 3, want: 2}, {max: 2, code: backends.CodeLimitReached},
	}
	for i, s := range steps {
		res, err := b.Increment(ctx, "", id, s.max)
		if s.code == backends.CodeLimitReached {
			WantLimitReached(t, err, id, s.max)
			continue
		}
		if s.code != "" {
			WantCode(t, err, s.code)
			continue
		}
		if err != nil || res.Value != s.want {
			t.Fatalf("call %d: got %+v, %v, want value %d", i, res, err, s.want)
		}
	}
}

// WantGetReset checks Get and Reset on counter id, which must be missing: it
// reads as 0, not existing; two increments with the unconditional strategy
// make it read 2; Reset makes it missing again, and a second Reset of the
// missing counter is no error.
func WantGetReset(t *testing.T, b backends.Backend, strategy, id string) {
	t.Helper()
	ctx := context.Background()
	read := func(want backends.Reading) {
		t.Helper()
		got, err := b.Get(ctx, id)
		if err != nil || got != want {
			t.Fatalf("Get: got %+v, %v, want %+v", got, err, want)
		}
	}

	read(backends.Reading{})
	for range 2 {
		if _, err := b.Increment(ctx, strategy, id, 0); err != nil {
			t.Fatal(err)
		}
	}
	read(backends.Reading{Value: 2, Exists: true})

	if err := b.Reset(ctx, id); err != nil {
		t.Fatalf("Reset: %v", err)
	}
	read(backends.Reading{})
	if err := b.Reset(ctx, id); err != nil {
		t.Fatalf("Reset of a missing counter: %v", err)
	}
}

// Step is one increment of a sequence and what it must give.
type Step struct {
	Strategy string
	Max      int64
	Want     int64 // the counter after the increment, when Code is ""
	// RoundTrips is the number of round trips it must take; 0 for any.
	RoundTrips int
	Code       backends.Code // the error code it must fail with, if any
}

// WantSteps runs steps in order on counter id of b. Each must fail with its
// Code, or give its value in one attempt (and its round trips, if set).
func WantSteps(t *testing.T, b backends.Backend, id string, steps []Step) {
	t.Helper()
	ctx := context.Background()
	for i, s := range steps {
		res, err := b.Increment(ctx, s.Strategy, id, s.Max)
		if s.Code != "" {
			WantCode(t, err, s.Code)
			continue
		}
		if err != nil {
			t.Fatalf("call %d (%s, max %d): %v", i, s.Strategy, s.Max, err)
		}
		if res.Value != s.Want || res.Attempts != 1 {
			t.Fatalf("call %d (%s, max %d): got %+v, want value %d, 1 attempt",
				i, s.Strategy, s.Max, res, s.Want)
		}
		if s.RoundTrips != 0 && res.RoundTrips != s.RoundTrips {
			t.Fatalf("call %d (%s, max %d): got %d round trips, want %d",
				i, s.Strategy, s.Max, res.RoundTrips, s.RoundTrips)
		}
	}
}

// WantUnavailable fails t unless every operation of b is unavailable: the
// increment of counter "c" with each call, Health, Get and Reset.
func WantUnavailable(t *testing.T, b backends.Backend, calls []Call) {
	t.Helper()
	ctx := context.Background()
	for _, c := range calls {
		_, err := b.Increment(ctx, c.Strategy, "c", c.Max)
		WantCode(t, err, backends.CodeUnavailable)
	}
	WantCode(t, b.Health(ctx), backends.CodeUnavailable)
	_, err := b.Get(ctx, "c")
	WantCode(t, err, backends.CodeUnavailable)
	WantCode(t, b.Reset(ctx, "c"), backends.CodeUnavailable)
}

// WantRecovered fails t unless b, once its target is back, is healthy and
// increments counter "c" with c to want.
func WantRecovered(t *testing.T, b backends.Backend, c Call, want int64) {
	t.Helper()
	ctx := context.Background()
	if err := b.Health(ctx); err != nil {
		t.Fatalf("Health once the target is back: %v", err)
	}
	res, err := b.Increment(ctx, c.Strategy, "c", c.Max)
	if err != nil || res.Value != want {
		t.Fatalf("increment once the target is back: got %+v, %v, want value %d",
			res, err, want)
	}
}
