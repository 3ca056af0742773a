package conformance

// This file checks the momento-local fault headers, sent by the SDK's
// momento-local metadata middleware: return-error, error-rpcs, error-count,
// delay-ms, delay-rpcs and delay-count, counted per request-id (one
// request-id per middleware, that is per client here).

import (
	"testing"
	"time"

	"github.com/momentohq/client-sdk-go/config/logger/momento_default_logger"
	"github.com/momentohq/client-sdk-go/config/middleware"
	"github.com/momentohq/client-sdk-go/config/middleware/impl"
	"github.com/momentohq/client-sdk-go/momento"
)

// faultClient returns a client whose every request carries the fault
// headers of props, with its own request-id.
func faultClient(t *testing.T, s *suite,
	props impl.MomentoLocalMetadataMiddlewareMetadataProps) momento.CacheClient {
	t.Helper()
	needLocal(t, s, "the fault headers are a momento-local feature")
	logs := momento_default_logger.NewDefaultMomentoLoggerFactory(momento_default_logger.WARN)
	mw := impl.NewMomentoLocalMetadataMiddleware(impl.MomentoLocalMetadataMiddlewareProps{
		Props: middleware.Props{Logger: logs.GetLogger("momento-local-middleware")},
		MomentoLocalMetadataMiddlewareMetadataProps: props,
	})
	return s.tg.newClient(t, mw)
}

func intp(n int) *int { return &n }

func strs(v ...string) *[]string { return &v }

func testFaultErrorCount(t *testing.T, s *suite) {
	fc := faultClient(t, s, impl.MomentoLocalMetadataMiddlewareMetadataProps{
		ReturnError: ptr("unavailable"), ErrorRpcList: strs("get"), ErrorCount: intp(2),
	})
	k := s.key("fault-count")

	_, err := fc.Get(callCtx(t), &momento.GetRequest{CacheName: s.cache, Key: momento.String(k)})
	wantCode(t, "Get 1 of 2 failing", err, momento.ServerUnavailableError)

	// Set is not in error-rpcs.
	if _, err := fc.Set(callCtx(t), &momento.SetRequest{
		CacheName: s.cache, Key: momento.String(k), Value: momento.String("v"),
	}); err != nil {
		t.Fatalf("Set, not in error-rpcs: got %v, want success", err)
	}

	_, err = fc.Get(callCtx(t), &momento.GetRequest{CacheName: s.cache, Key: momento.String(k)})
	wantCode(t, "Get 2 of 2 failing", err, momento.ServerUnavailableError)

	for i := 3; i <= 4; i++ {
		if got, ok := getFrom(t, fc, s.cache, k); !ok || got != "v" {
			t.Fatalf("Get %d, past error-count 2: got %q (hit %v), want %q", i, got, ok, "v")
		}
	}
}

func testFaultPerRequestID(t *testing.T, s *suite) {
	props := impl.MomentoLocalMetadataMiddlewareMetadataProps{
		ReturnError: ptr("unavailable"), ErrorRpcList: strs("increment"), ErrorCount: intp(1),
	}
	a, b := faultClient(t, s, props), faultClient(t, s, props)
	k := s.key("fault-session")

	steps := []struct {
		client string
		c      momento.CacheClient
		want   int64 // 0: fails
	}{
		{"a", a, 0}, {"a", a, 1}, {"b", b, 0}, {"b", b, 2}, {"a", a, 3},
	}
	for i, st := range steps {
		got, err := incrementOn(t, st.c, s.cache, k, 1)
		if st.want == 0 {
			wantCode(t, "Increment from client "+st.client+" (its first)", err,
				momento.ServerUnavailableError)
			continue
		}
		if err != nil || got != st.want {
			t.Fatalf("step %d, Increment from client %s: got %d, %v; want %d",
				i+1, st.client, got, err, st.want)
		}
	}
}

// testFaultWriteNotApplied checks that a write failed by return-error
// changes nothing.
func testFaultWriteNotApplied(t *testing.T, s *suite) {
	fc := faultClient(t, s, impl.MomentoLocalMetadataMiddlewareMetadataProps{
		ReturnError:  ptr("internal"),
		ErrorRpcList: strs("set", "set-if", "increment", "delete"),
	})
	k, counter := s.key("fault-write"), s.key("fault-counter")
	s.set(t, k, "before", 0)
	if _, err := s.increment(t, counter, 10); err != nil {
		t.Fatalf("Increment: %v", err)
	}

	writes := []struct {
		name string
		call func() error
	}{
		{"Set", func() error {
			_, err := fc.Set(callCtx(t), &momento.SetRequest{
				CacheName: s.cache, Key: momento.String(k), Value: momento.String("after"),
			})
			return err
		}},
		{"SetIfPresent", func() error {
			_, err := fc.SetIfPresent(callCtx(t), &momento.SetIfPresentRequest{
				CacheName: s.cache, Key: momento.String(k), Value: momento.String("after"),
			})
			return err
		}},
		{"Delete", func() error {
			_, err := fc.Delete(callCtx(t), &momento.DeleteRequest{
				CacheName: s.cache, Key: momento.String(k),
			})
			return err
		}},
		{"Increment", func() error {
			_, err := incrementOn(t, fc, s.cache, counter, 1)
			return err
		}},
	}
	for _, w := range writes {
		wantCode(t, w.name+" with return-error internal", w.call(), momento.InternalServerError)
	}
	s.checkValue(t, k, "before")
	s.checkValue(t, counter, "10")

	// Reads are not in error-rpcs.
	if got, ok := getFrom(t, fc, s.cache, k); !ok || got != "before" {
		t.Fatalf("Get, not in error-rpcs: got %q (hit %v), want %q", got, ok, "before")
	}
}

// testFaultErrorEveryTime checks return-error without error-count or
// error-rpcs: every request fails, with the SDK error of the code.
func testFaultErrorEveryTime(t *testing.T, s *suite) {
	needLocal(t, s, "the fault headers are a momento-local feature")
	tests := []struct {
		header string
		want   string
	}{
		{"unavailable", momento.ServerUnavailableError},
		{"internal", momento.InternalServerError},
		{"resource-exhausted", momento.LimitExceededError},
		{"permission-denied", momento.PermissionError},
		{"invalid-argument", momento.InvalidArgumentError},
		{"failed-precondition", momento.FailedPreconditionError},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			fc := faultClient(t, s, impl.MomentoLocalMetadataMiddlewareMetadataProps{
				ReturnError: ptr(tt.header),
			})
			for i := range 3 {
				_, err := fc.Get(callCtx(t), &momento.GetRequest{
					CacheName: s.cache, Key: momento.String("any"),
				})
				wantCode(t, "Get "+string(rune('1'+i)), err, tt.want)
			}
		})
	}
}

func testFaultDelay(t *testing.T, s *suite) {
	const delay = 1500 * time.Millisecond
	fc := faultClient(t, s, impl.MomentoLocalMetadataMiddlewareMetadataProps{
		DelayMillis: intp(int(delay.Milliseconds())), DelayRpcList: strs("set"),
		DelayCount: intp(1),
	})
	k := s.key("fault-delay")
	set := func() time.Duration {
		start := time.Now()
		if _, err := fc.Set(callCtx(t), &momento.SetRequest{
			CacheName: s.cache, Key: momento.String(k), Value: momento.String("v"),
		}); err != nil {
			t.Fatalf("Set with delay-ms: %v", err)
		}
		return time.Since(start)
	}

	if took := set(); took < delay {
		t.Fatalf("Set 1 of delay-count 1: took %v, want at least delay-ms %v", took, delay)
	}
	// The delay is long enough that an undelayed call cannot come near it,
	// even on a loaded machine.
	if took := set(); took >= delay {
		t.Fatalf("Set 2, past delay-count 1: took %v, want no delay (under %v)", took, delay)
	}
	start := time.Now()
	getFrom(t, fc, s.cache, k)
	if took := time.Since(start); took >= delay {
		t.Fatalf("Get, not in delay-rpcs: took %v, want no delay (under %v)", took, delay)
	}
}
