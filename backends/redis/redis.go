// Package redis is the Redis backend: counters are string keys incremented
// with INCR, or with a server-side script when the increment is bounded by a
// max. It talks to the target through go-redis, with its retries turned off:
// an increment is never sent twice.
package redis

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/counterlab/counterlab/backends"
)

// libraryPath is the client library's module path, shown by Target.
const libraryPath = "github.com/redis/go-redis/v9"

// Options configure a Redis backend.
type Options struct {
	// URL is a redis:// or rediss:// URL, e.g. redis://user:pass@host:6379/0.
	// Query parameters of go-redis (dial_timeout, read_timeout, pool_size...)
	// are honoured, except max_retries: retries are always off.
	URL string
	// KeyPrefix goes in front of every key; empty means "counterlab:".
	KeyPrefix string
	// Kind is the target kind reported by Target; empty means "local".
	Kind string
	// Logger receives the backend's events; nil means slog.Default().
	Logger *slog.Logger
}

// Backend is the Redis backend. It is safe for concurrent use.
type Backend struct {
	client *goredis.Client
	prefix string
	target backends.Target
	log    *slog.Logger
}

var _ backends.Backend = (*Backend)(nil)

// New returns a backend for the target in opts. It does not contact the
// target: a server that is down makes Health and the increments fail until it
// comes back. New fails only on invalid options.
func New(ctx context.Context, opts Options) (*Backend, error) {
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
		return nil, fmt.Errorf("redis URL %q: want redis://host:port or rediss://host:port",
			backends.RedactURL(opts.URL))
	}

	ro, err := goredis.ParseURL(opts.URL)
	if err != nil {
		return nil, fmt.Errorf("redis URL %q: %w", backends.RedactURL(opts.URL), err)
	}
	ro.MaxRetries = -1 // -1 means no retry at all; 0 would mean the default, 3
	// Reads and writes run under ReadTimeout and WriteTimeout; the caller's
	// context bounds only the wait for a connection (see classifyCode).
	ro.ContextTimeoutEnabled = false
	ro.MaintNotificationsConfig = &maintnotifications.Config{
		Mode: maintnotifications.ModeDisabled,
	}
	ro.OnConnect = markConnected

	b := &Backend{
		client: goredis.NewClient(ro),
		prefix: opts.KeyPrefix,
		log:    opts.Logger,
		target: backends.Target{
			Kind:    opts.Kind,
			Address: backends.RedactURL(opts.URL),
			Library: backends.Library(libraryPath, "v"+goredis.Version()),
		},
	}
	b.client.AddHook(handshakeHook{})
	if b.prefix == "" {
		b.prefix = backends.DefaultKeyPrefix
	}
	if b.target.Kind == "" {
		b.target.Kind = backends.KindLocal
	}
	if b.log == nil {
		b.log = slog.Default()
	}
	useLibraryLogger(b.log)

	b.log.DebugContext(ctx, "redis backend ready",
		"address", b.target.Address, "kind", b.target.Kind, "prefix", b.prefix)
	return b, nil
}

// Name returns "redis".
func (b *Backend) Name() string { return backends.Redis }

// Target describes where the backend points; the password is redacted.
func (b *Backend) Target() backends.Target { return b.target }

// Health sends PING.
func (b *Backend) Health(ctx context.Context) error {
	ctx = track(ctx)
	if err := b.client.Ping(ctx).Err(); err != nil {
		return classify(ctx, err, "PING %s", b.target.Address)
	}
	return nil
}

// Close closes the client's connections.
func (b *Backend) Close() error { return b.client.Close() }

// key is the Redis key of counter id.
func (b *Backend) key(id string) string { return b.prefix + id }
