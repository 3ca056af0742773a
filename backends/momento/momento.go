// Package momento is the Momento backend: counters kept as cache items and
// reached through Momento's official Go SDK, either on real Momento (API key,
// TLS) or on a momento-local compatible server such as our emulator
// (host:port, plaintext).
//
// It offers three strategies: increment (one atomic Increment call),
// set-if-present-and-not-equal (the algorithm as commonly published, kept to
// show that it loses updates) and set-if-equal (a compare-and-swap with
// bounded retries).
package momento

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/momentohq/client-sdk-go/auth"
	"github.com/momentohq/client-sdk-go/config"
	"github.com/momentohq/client-sdk-go/config/retry"
	sdk "github.com/momentohq/client-sdk-go/momento"
	"github.com/momentohq/client-sdk-go/responses"

	"github.com/counterlab/counterlab/backends"
)

// Defaults of Options.
const (
	// DefaultTTL is how long an item lives after a write that sets its TTL.
	// Momento items must have a TTL; a counter left alone this long is gone
	// and counts from 1 again.
	DefaultTTL = 24 * time.Hour
	// DefaultTimeout bounds each request to the store.
	DefaultTimeout = 5 * time.Second
	// DefaultMaxAttempts bounds the attempts of set-if-equal.
	DefaultMaxAttempts = 16
)

// sdkModule is the SDK's module path; sdkFallbackVersion is used when the
// binary carries no build information.
const (
	sdkModule          = "github.com/momentohq/client-sdk-go"
	sdkFallbackVersion = "v1.38.0"
)

// Options configure a Backend. Exactly one of APIKey and Endpoint is set.
type Options struct {
	// APIKey selects real Momento over TLS; the key carries the endpoints.
	APIKey string
	// Endpoint is host:port of a momento-local compatible server, reached in
	// plaintext through the SDK's momento-local credential provider.
	Endpoint string
	// Cache is created when missing; default backends.DefaultMomentoCache.
	Cache string
	// KeyPrefix goes in front of every counter id; default
	// backends.DefaultKeyPrefix.
	KeyPrefix string
	// Kind is the target kind reported by Target; default "cloud" with an
	// API key, "local" otherwise.
	Kind string
	// MaxAttempts bounds the attempts of set-if-equal; default 16.
	MaxAttempts int
	// Logger receives the backend's events; default slog.Default().
	Logger *slog.Logger

	// TTL is the time to live sent with every write; default DefaultTTL.
	TTL time.Duration
	// Timeout bounds each request to the store; default DefaultTimeout.
	Timeout time.Duration

	// AfterRead, when set, runs in the read-then-write strategies between
	// the Get and the conditional write, with what the Get found. Tests use
	// it to line clients up in a chosen interleaving.
	AfterRead func(ctx context.Context, id string, current int64, found bool)
}

// Backend is the Momento backend. It is safe for concurrent use.
type Backend struct {
	client      sdk.CacheClient
	cache       string
	prefix      string
	ttl         time.Duration
	maxAttempts int
	afterRead   func(ctx context.Context, id string, current int64, found bool)
	log         *slog.Logger
	target      backends.Target

	// cacheReady is set once the cache is known to exist; cacheMu keeps
	// concurrent requests from all creating it at once.
	cacheReady atomic.Bool
	cacheMu    sync.Mutex
}

var _ backends.Backend = (*Backend)(nil)

// New builds a Momento backend and tries once to create its cache. A target
// that is down does not make New fail: the cache is created by a later
// request or Health call. New fails only on invalid options.
func New(ctx context.Context, opts Options) (*Backend, error) {
	opts, err := withDefaults(opts)
	if err != nil {
		return nil, err
	}

	creds, address, err := credentials(opts)
	if err != nil {
		return nil, err
	}

	// The SDK's own retries are off for every request: an increment must
	// never be sent twice behind our back, and set-if-equal does its own,
	// safe retries. No eager connection either, so a target that is down
	// does not fail New.
	cfg := config.LaptopLatestWithLogger(sdkLoggerFactory{log: opts.Logger}).
		WithRetryStrategy(retry.NewNeverRetryStrategy()).
		WithClientTimeout(opts.Timeout)
	client, err := sdk.NewCacheClientWithEagerConnectTimeout(cfg, creds, opts.TTL, 0)
	if err != nil {
		return nil, fmt.Errorf("momento: create client for %s: %w", address, err)
	}

	b := &Backend{
		client:      client,
		cache:       opts.Cache,
		prefix:      opts.KeyPrefix,
		ttl:         opts.TTL,
		maxAttempts: opts.MaxAttempts,
		afterRead:   opts.AfterRead,
		log:         opts.Logger,
		target: backends.Target{
			Kind:    opts.Kind,
			Address: address,
			Library: backends.Library(sdkModule, sdkFallbackVersion),
		},
	}

	b.log.Info("momento backend",
		"kind", b.target.Kind, "address", address, "cache", b.cache, "ttl", b.ttl)
	if err := b.ensureCache(ctx); err != nil {
		b.log.Warn("momento cache not ready; will retry on the next request",
			"cache", b.cache, "address", address, "err", err)
	}
	return b, nil
}

// withDefaults validates opts and fills in the defaults.
func withDefaults(opts Options) (Options, error) {
	switch {
	case opts.APIKey != "" && opts.Endpoint != "":
		return opts, errors.New("momento: set either an API key or an endpoint, not both")
	case opts.APIKey == "" && opts.Endpoint == "":
		return opts, errors.New("momento: set an API key or an endpoint")
	}
	if opts.MaxAttempts < 0 {
		return opts, fmt.Errorf("momento: MaxAttempts %d: want 0 (default) or more",
			opts.MaxAttempts)
	}
	if opts.TTL < 0 || opts.Timeout < 0 {
		return opts, fmt.Errorf("momento: TTL %s and Timeout %s must not be negative",
			opts.TTL, opts.Timeout)
	}

	if opts.Cache == "" {
		opts.Cache = backends.DefaultMomentoCache
	}
	if opts.KeyPrefix == "" {
		opts.KeyPrefix = backends.DefaultKeyPrefix
	}
	if opts.Kind == "" {
		opts.Kind = backends.KindLocal
		if opts.APIKey != "" {
			opts.Kind = backends.KindCloud
		}
	}
	if opts.MaxAttempts == 0 {
		opts.MaxAttempts = DefaultMaxAttempts
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.TTL == 0 {
		opts.TTL = DefaultTTL
	}
	if opts.Timeout == 0 {
		opts.Timeout = DefaultTimeout
	}
	return opts, nil
}

// credentials returns the SDK credential provider for opts and the address
// to display, which never holds the API key.
func credentials(opts Options) (auth.CredentialProvider, string, error) {
	if opts.APIKey != "" {
		creds, err := auth.FromString(opts.APIKey)
		if err != nil {
			// The SDK's message does not echo the key; still, say no more
			// than that it could not be read.
			return nil, "", errors.New("momento: the API key is not a valid Momento API key")
		}
		return creds, creds.GetCacheEndpoint(), nil
	}

	host, portText, err := net.SplitHostPort(opts.Endpoint)
	if err != nil {
		return nil, "", fmt.Errorf("momento: endpoint %q: want host:port: %w", opts.Endpoint, err)
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil || port == 0 || host == "" {
		return nil, "", fmt.Errorf(
			"momento: endpoint %q: want host:port with a port from 1 to 65535", opts.Endpoint)
	}
	creds, err := auth.NewMomentoLocalProvider(&auth.MomentoLocalConfig{
		Hostname: host,
		Port:     uint(port),
	})
	if err != nil {
		return nil, "", fmt.Errorf("momento: endpoint %q: %w", opts.Endpoint, err)
	}
	return creds, opts.Endpoint, nil
}

// Name returns "momento".
func (b *Backend) Name() string { return backends.Momento }

// Target describes where the backend points; the address never holds the
// API key.
func (b *Backend) Target() backends.Target { return b.target }

// Close releases the client's connections.
func (b *Backend) Close() error {
	b.client.Close()
	return nil
}

// Health pings the cache endpoint, creates the cache if it is not known to
// exist, and reads one item from it to check that the cache is there and
// readable. A cache deleted behind our back is created again.
func (b *Backend) Health(ctx context.Context) error {
	if _, err := b.client.Ping(ctx); err != nil {
		return b.mapError(err, phaseRead, "ping %s", b.target.Address)
	}

	err := b.probe(ctx)
	if err != nil && !b.cacheReady.Load() {
		// The probe found the cache missing: create it and look again.
		err = b.probe(ctx)
	}
	return err
}

// probe ensures the cache and reads the item healthKey from it.
func (b *Backend) probe(ctx context.Context) error {
	if err := b.ensureCache(ctx); err != nil {
		return err
	}
	_, err := b.client.Get(ctx, &sdk.GetRequest{CacheName: b.cache, Key: b.key(healthKey)})
	if err != nil {
		return b.mapError(err, phaseRead, "read from cache %q", b.cache)
	}
	return nil
}

// healthKey is the counter id Health reads; it is never written.
const healthKey = "health-probe"

// ensureCache creates the cache unless it is known to exist. An existing
// cache is fine. So is a key that may not create caches (a key scoped to
// one cache): the cache is then assumed to exist, and requests say so if
// it does not.
func (b *Backend) ensureCache(ctx context.Context) error {
	if b.cacheReady.Load() {
		return nil
	}

	b.cacheMu.Lock()
	defer b.cacheMu.Unlock()
	if b.cacheReady.Load() {
		return nil
	}

	resp, err := b.client.CreateCache(ctx, &sdk.CreateCacheRequest{CacheName: b.cache})
	switch {
	case sdkCode(err) == sdk.PermissionError:
		b.log.Warn("momento key may not create caches; assuming the cache exists",
			"cache", b.cache, "address", b.target.Address)
	case err != nil:
		return b.mapError(err, phaseRead, "create cache %q on %s", b.cache, b.target.Address)
	default:
		if _, created := resp.(*responses.CreateCacheSuccess); created {
			b.log.Info("momento cache created", "cache", b.cache, "address", b.target.Address)
		}
	}
	b.cacheReady.Store(true)
	return nil
}

// key is the cache key of counter id.
func (b *Backend) key(id string) sdk.String { return sdk.String(b.prefix + id) }
