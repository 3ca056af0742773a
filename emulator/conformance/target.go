package conformance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/momentohq/client-sdk-go/auth"
	"github.com/momentohq/client-sdk-go/config"
	"github.com/momentohq/client-sdk-go/config/logger/momento_default_logger"
	"github.com/momentohq/client-sdk-go/config/middleware"
	"github.com/momentohq/client-sdk-go/config/retry"
	"github.com/momentohq/client-sdk-go/momento"
	"github.com/momentohq/client-sdk-go/responses"
)

// Target is the server the suite checks. Set exactly one of Endpoint and
// APIKey.
type Target struct {
	// Endpoint is a plaintext host:port (our emulator or momento-local),
	// reached through the SDK's momento-local credential provider.
	Endpoint string

	// APIKey selects real Momento, over TLS, with this API key. It must be
	// allowed to create and delete caches.
	APIKey string

	// Name labels the target in log lines; empty means the endpoint or
	// "Momento".
	Name string

	// FastForward, when set, moves the target's clock forward (an in-process
	// emulator's Server.FastForward); the cases that need it skip without it.
	FastForward func(d time.Duration)

	// CachePrefix starts the names of the caches the suite creates; empty
	// means "counterlab-conformance".
	CachePrefix string
}

// DefaultTTL is the default TTL of the suite's clients.
const DefaultTTL = 10 * time.Minute

// callTimeout bounds one SDK call, generous enough for 5 MiB items and for
// the delays of the fault cases.
const callTimeout = 30 * time.Second

func (tg Target) validate() error {
	switch {
	case tg.Endpoint != "" && tg.APIKey != "":
		return errors.New("conformance: set Target.Endpoint or Target.APIKey, not both")
	case tg.Endpoint == "" && tg.APIKey == "":
		return errors.New("conformance: set Target.Endpoint (host:port) or Target.APIKey")
	case tg.Endpoint != "":
		if _, _, err := splitEndpoint(tg.Endpoint); err != nil {
			return err
		}
	}
	return nil
}

// local reports whether the target is a plaintext momento-local style
// server, which understands the fault headers.
func (tg Target) local() bool { return tg.Endpoint != "" }

func (tg Target) name() string {
	switch {
	case tg.Name != "":
		return tg.Name
	case tg.Endpoint != "":
		return tg.Endpoint
	default:
		return "Momento"
	}
}

func splitEndpoint(endpoint string) (string, uint, error) {
	host, portText, err := net.SplitHostPort(endpoint)
	if err != nil {
		return "", 0, fmt.Errorf("conformance: endpoint %q: want host:port: %w", endpoint, err)
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil || port == 0 || host == "" {
		return "", 0, fmt.Errorf("conformance: endpoint %q: want host:port with a port "+
			"from 1 to 65535", endpoint)
	}
	return host, uint(port), nil
}

func (tg Target) credentials() (auth.CredentialProvider, error) {
	if tg.APIKey != "" {
		creds, err := auth.FromString(tg.APIKey)
		if err != nil {
			// Say no more than that: the SDK's message must not reach logs
			// with any part of the key.
			return nil, errors.New("conformance: the API key is not a valid Momento API key")
		}
		return creds, nil
	}
	host, port, err := splitEndpoint(tg.Endpoint)
	if err != nil {
		return nil, err
	}
	creds, err := auth.NewMomentoLocalProvider(&auth.MomentoLocalConfig{
		Hostname: host, Port: port,
	})
	if err != nil {
		return nil, fmt.Errorf("conformance: endpoint %q: %w", tg.Endpoint, err)
	}
	return creds, nil
}

// newClient returns an SDK client for the target with retries off (every
// call reaches the server exactly once) and the given middleware; the
// test's cleanup closes it.
func (tg Target) newClient(tb testing.TB, mw ...middleware.Middleware) momento.CacheClient {
	tb.Helper()
	creds, err := tg.credentials()
	if err != nil {
		tb.Fatal(err)
	}

	logs := momento_default_logger.NewDefaultMomentoLoggerFactory(momento_default_logger.WARN)
	cfg := config.LaptopLatestWithLogger(logs).
		WithRetryStrategy(retry.NewNeverRetryStrategy()).
		WithClientTimeout(callTimeout)
	if len(mw) > 0 {
		cfg = cfg.WithMiddleware(mw)
	}

	client, err := momento.NewCacheClientWithEagerConnectTimeout(cfg, creds, DefaultTTL,
		15*time.Second)
	if err != nil {
		tb.Fatalf("conformance: Momento client for %s: %v", tg.name(), err)
	}
	tb.Cleanup(client.Close)
	return client
}

// uniqueName returns a cache name no other run uses.
func (tg Target) uniqueName(what string) string {
	prefix := tg.CachePrefix
	if prefix == "" {
		prefix = "counterlab-conformance"
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%s-%s-%s", prefix, what,
		strconv.FormatInt(time.Now().Unix(), 36), hex.EncodeToString(b[:]))
}

// createCache creates a cache with a unique name, waits until data calls
// find it, and deletes it at the end of the test.
func createCache(tb testing.TB, tg Target, c momento.CacheClient, what string) string {
	tb.Helper()
	name := tg.uniqueName(what)

	resp, err := c.CreateCache(callCtx(tb), &momento.CreateCacheRequest{CacheName: name})
	if err != nil {
		tb.Fatalf("CreateCache(%q) on %s: %v", name, tg.name(), err)
	}
	if !is[responses.CreateCacheSuccess](resp) {
		tb.Fatalf("CreateCache(%q) on %s: got %T, want success (a new name)",
			name, tg.name(), resp)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		if _, err := c.DeleteCache(ctx, &momento.DeleteCacheRequest{CacheName: name}); err != nil {
			tb.Errorf("cleanup: DeleteCache(%q) on %s: %v", name, tg.name(), err)
		}
	})

	waitForCache(tb, c, name)
	return name
}

// waitForCache waits until a data call finds a new cache: a service may
// take a moment to make it usable everywhere.
func waitForCache(tb testing.TB, c momento.CacheClient, name string) {
	tb.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := c.Get(callCtx(tb), &momento.GetRequest{
			CacheName: name, Key: momento.String("conformance-probe"),
		})
		if err == nil {
			return
		}
		if code(err) != momento.CacheNotFoundError || time.Now().After(deadline) {
			tb.Fatalf("the new cache %q is not usable: %v", name, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
