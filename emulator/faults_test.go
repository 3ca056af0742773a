package emulator_test

import (
	"testing"
	"time"

	"github.com/momentohq/client-sdk-go/auth"
	"github.com/momentohq/client-sdk-go/config"
	"github.com/momentohq/client-sdk-go/config/logger/momento_default_logger"
	"github.com/momentohq/client-sdk-go/config/middleware"
	"github.com/momentohq/client-sdk-go/config/middleware/impl"
	"github.com/momentohq/client-sdk-go/config/retry"
	"github.com/momentohq/client-sdk-go/momento"
	"google.golang.org/grpc/codes"

	"github.com/counterlab/counterlab/emulator"
)

// faultClient returns an SDK client that sends the momento-local fault
// headers described by props, and never retries.
func faultClient(t *testing.T, s *emulator.Server,
	props impl.MomentoLocalMetadataMiddlewareMetadataProps) momento.CacheClient {
	t.Helper()
	cred, err := auth.NewMomentoLocalProvider(&auth.MomentoLocalConfig{
		Hostname: s.Host(), Port: uint(s.Port()),
	})
	if err != nil {
		t.Fatal(err)
	}
	logs := momento_default_logger.NewDefaultMomentoLoggerFactory(momento_default_logger.WARN)
	mw := impl.NewMomentoLocalMetadataMiddleware(impl.MomentoLocalMetadataMiddlewareProps{
		Props: middleware.Props{Logger: logs.GetLogger("test")},
		MomentoLocalMetadataMiddlewareMetadataProps: props,
	})
	cfg := config.LaptopLatestWithLogger(logs).
		WithMiddleware([]middleware.Middleware{mw}).
		WithRetryStrategy(retry.NewNeverRetryStrategy())
	c, err := momento.NewCacheClientWithEagerConnectTimeout(cfg, cred, time.Hour, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

func ptr[T any](v T) *T { return &v }

func tryGet(t *testing.T, c momento.CacheClient, cache string) error {
	t.Helper()
	_, err := c.Get(ctx(t), &momento.GetRequest{CacheName: cache, Key: momento.String("k")})
	return err
}

func trySet(t *testing.T, c momento.CacheClient, cache string) error {
	t.Helper()
	_, err := c.Set(ctx(t), &momento.SetRequest{
		CacheName: cache, Key: momento.String("k"), Value: momento.String("v"),
	})
	return err
}

func TestHeaderErrorCount(t *testing.T) {
	s := emulator.RunT(t)
	s.CreateCache("c")
	c := faultClient(t, s, impl.MomentoLocalMetadataMiddlewareMetadataProps{
		ReturnError:  ptr("unavailable"),
		ErrorRpcList: &[]string{"get"},
		ErrorCount:   ptr(2),
	})

	if err := trySet(t, c, "c"); err != nil {
		t.Fatalf("Set, not a listed RPC: got %v, want success", err)
	}
	for i := range 2 {
		if got := momentoCode(tryGet(t, c, "c")); got != momento.ServerUnavailableError {
			t.Fatalf("Get %d of an error-count of 2: got code %q, want %q",
				i, got, momento.ServerUnavailableError)
		}
	}
	if err := tryGet(t, c, "c"); err != nil {
		t.Fatalf("Get after the error-count: got %v, want success", err)
	}

	// Another client has another request-id, so its own count.
	c2 := faultClient(t, s, impl.MomentoLocalMetadataMiddlewareMetadataProps{
		ReturnError: ptr("not-found"), ErrorRpcList: &[]string{"get"}, ErrorCount: ptr(1),
	})
	if got := momentoCode(tryGet(t, c2, "c")); got != momento.CacheNotFoundError {
		t.Fatalf("Get of a second session: got code %q, want %q", got, momento.CacheNotFoundError)
	}
	if err := tryGet(t, c2, "c"); err != nil {
		t.Fatalf("second Get of a second session: got %v, want success", err)
	}
}

func TestHeaderErrorWithoutCountFailsEveryCall(t *testing.T) {
	s := emulator.RunT(t)
	s.CreateCache("c")
	c := faultClient(t, s, impl.MomentoLocalMetadataMiddlewareMetadataProps{
		ReturnError:  ptr("internal"),
		ErrorRpcList: &[]string{"increment", "set"},
	})

	for i := range 3 {
		if got := momentoCode(trySet(t, c, "c")); got != momento.InternalServerError {
			t.Fatalf("Set %d: got code %q, want %q", i, got, momento.InternalServerError)
		}
	}
	if err := tryGet(t, c, "c"); err != nil {
		t.Fatalf("Get, not listed: got %v, want success", err)
	}
	if _, ok := s.Get("c", "k"); ok {
		t.Fatalf("a failed Set stored its item")
	}
}

func TestHeaderDelayCountAndDelayBeforeError(t *testing.T) {
	s := emulator.RunT(t)
	s.CreateCache("c")
	const delay = 1500 * time.Millisecond
	c := faultClient(t, s, impl.MomentoLocalMetadataMiddlewareMetadataProps{
		DelayMillis:  ptr(int(delay / time.Millisecond)),
		DelayRpcList: &[]string{"get"},
		DelayCount:   ptr(1),
		ReturnError:  ptr("unavailable"),
		ErrorRpcList: &[]string{"get"},
		ErrorCount:   ptr(1),
	})

	start := time.Now()
	err := tryGet(t, c, "c")
	if elapsed := time.Since(start); elapsed < delay {
		t.Fatalf("first Get: answered after %v, want at least the %v delay", elapsed, delay)
	}
	if got := momentoCode(err); got != momento.ServerUnavailableError {
		t.Fatalf("first Get: got code %q, want %q after the delay", got, momento.ServerUnavailableError)
	}

	start = time.Now()
	if err := tryGet(t, c, "c"); err != nil {
		t.Fatalf("second Get: got %v, want success", err)
	}
	if elapsed := time.Since(start); elapsed >= delay {
		t.Fatalf("second Get: answered after %v; the delay-count of 1 was spent", elapsed)
	}
}

func TestGoFaults(t *testing.T) {
	s := emulator.RunT(t)
	s.CreateCache("a")
	s.CreateCache("b")
	c := s.Client(t)

	id := s.AddFault(emulator.Fault{Cache: "a", RPC: "increment", Code: codes.Unavailable})
	if got := s.Faults(); len(got) != 1 || got[0].RPC != "increment" {
		t.Fatalf("Faults: got %v, want the increment fault", got)
	}

	for i := range 3 {
		if _, err := increment(t, c, "a", "n", 1); momentoCode(err) != momento.ServerUnavailableError {
			t.Fatalf("Increment %d in cache a: got %v, want %q", i, err, momento.ServerUnavailableError)
		}
	}
	if _, ok := s.Get("a", "n"); ok {
		t.Fatalf("a failed Increment stored its item")
	}
	if _, err := increment(t, c, "b", "n", 1); err != nil {
		t.Fatalf("Increment in cache b: got %v, want success", err)
	}
	if err := tryGet(t, c, "a"); err != nil {
		t.Fatalf("Get in cache a: got %v, want success", err)
	}

	s.RemoveFault(id)
	if got := s.Faults(); len(got) != 0 {
		t.Fatalf("Faults after RemoveFault: got %v, want none", got)
	}
	if v, err := increment(t, c, "a", "n", 1); err != nil || v != 1 {
		t.Fatalf("Increment after RemoveFault: got %d, %v; want 1", v, err)
	}

	s.AddFault(emulator.Fault{Code: codes.ResourceExhausted})
	s.AddFault(emulator.Fault{RPC: "get", Delay: time.Millisecond})
	if got := momentoCode(tryGet(t, c, "b")); got != momento.LimitExceededError {
		t.Fatalf("Get under an all-calls fault: got %q, want %q", got, momento.LimitExceededError)
	}
	s.ClearFaults()
	if err := tryGet(t, c, "b"); err != nil {
		t.Fatalf("Get after ClearFaults: got %v, want success", err)
	}
}

func TestGoFaultDelay(t *testing.T) {
	s := emulator.RunT(t)
	s.CreateCache("c")
	c := s.Client(t)
	const delay = 300 * time.Millisecond
	s.AddFault(emulator.Fault{RPC: "get", Delay: delay})

	start := time.Now()
	if err := tryGet(t, c, "c"); err != nil {
		t.Fatalf("delayed Get: %v", err)
	}
	if elapsed := time.Since(start); elapsed < delay {
		t.Fatalf("delayed Get answered after %v, want at least %v", elapsed, delay)
	}
}

func TestGoFaultShare(t *testing.T) {
	s := emulator.RunT(t)
	s.CreateCache("c")
	c := faultClient(t, s, impl.MomentoLocalMetadataMiddlewareMetadataProps{})
	s.AddFault(emulator.Fault{RPC: "set", Code: codes.Unavailable, Share: 0.5})

	const calls = 400
	failed := 0
	for range calls {
		if err := trySet(t, c, "c"); err != nil {
			failed++
		}
	}
	// Binomial(400, 0.5): the standard deviation is 10, so 100..300 is
	// ten deviations each side.
	if failed < 100 || failed > 300 {
		t.Fatalf("failed %d of %d calls under a 0.5 share, want about half", failed, calls)
	}
}

func TestCodeNames(t *testing.T) {
	for c := codes.OK; c <= codes.Unauthenticated; c++ {
		name := emulator.CodeName(c)
		got, err := emulator.ParseCode(name)
		if err != nil || got != c {
			t.Errorf("ParseCode(CodeName(%v) = %q): got %v, %v", c, name, got, err)
		}
	}
	if _, err := emulator.ParseCode("bogus"); err == nil {
		t.Errorf("ParseCode(bogus): got no error")
	}
	if got, _ := emulator.ParseCode("Unavailable"); got != codes.Unavailable {
		t.Errorf("ParseCode(Unavailable): got %v", got)
	}
}
