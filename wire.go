package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/momentohq/client-sdk-go/auth"
	goredis "github.com/redis/go-redis/v9"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/backends/dynamodb"
	"github.com/counterlab/counterlab/backends/embedded"
	"github.com/counterlab/counterlab/backends/momento"
	"github.com/counterlab/counterlab/backends/redis"
)

// openedBackends are the three backends, in display order, and the embedded
// targets started for those with no configured target.
type openedBackends struct {
	// Backends are redis, dynamodb and momento, in that order.
	Backends []backends.Backend
	// Targets are the embedded targets; a field is empty for a backend with
	// a configured target.
	Targets *embedded.Targets
}

// Close closes the backends, then the embedded targets.
func (o *openedBackends) Close() error {
	var errs []error
	for i := len(o.Backends) - 1; i >= 0; i-- {
		errs = append(errs, o.Backends[i].Close())
	}
	if o.Targets != nil {
		errs = append(errs, o.Targets.Close())
	}
	return errors.Join(errs...)
}

// openBackends starts the embedded targets cfg leaves unconfigured, then
// opens the three backends on their targets and logs one line per backend
// saying what it targets. A target that is down does not fail it: that
// backend reports unhealthy and recovers when the target comes back. Only
// invalid configuration or an embedded target that cannot start fails it.
func openBackends(ctx context.Context, cfg backends.Config, log *slog.Logger) (
	*openedBackends, error,
) {
	targets, err := embedded.Start(embedded.Options{
		Redis:    cfg.RedisURL == "",
		DynamoDB: cfg.DynamoDBEndpoint == "",
		Momento:  cfg.MomentoAPIKey == "" && cfg.MomentoEndpoint == "",
		Logger:   log,
	})
	if err != nil {
		return nil, fmt.Errorf("start embedded targets: %w", err)
	}
	o := &openedBackends{Targets: targets}

	open := func(name string, newFn func() (backends.Backend, error)) error {
		b, err := newFn()
		if err != nil {
			return fmt.Errorf("open the %s backend: %w", name, err)
		}
		o.Backends = append(o.Backends, b)
		t := b.Target()
		log.Info("backend target", "backend", b.Name(), "kind", t.Kind,
			"address", t.Address, "library", t.Library)
		return nil
	}

	err = open(backends.Redis, func() (backends.Backend, error) {
		opts := redisOptions(cfg, targets)
		opts.Logger = log.With("backend", backends.Redis)
		return redis.New(ctx, opts)
	})
	if err == nil {
		err = open(backends.DynamoDB, func() (backends.Backend, error) {
			opts := dynamoDBOptions(cfg, targets)
			opts.Logger = log.With("backend", backends.DynamoDB)
			return dynamodb.New(ctx, opts)
		})
	}
	if err == nil {
		err = open(backends.Momento, func() (backends.Backend, error) {
			opts := momentoOptions(cfg, targets)
			opts.Logger = log.With("backend", backends.Momento)
			return momento.New(ctx, opts)
		})
	}
	if err != nil {
		return nil, errors.Join(err, o.Close())
	}
	return o, nil
}

// redisOptions points Redis at REDIS_URL, or at the embedded miniredis.
func redisOptions(cfg backends.Config, t *embedded.Targets) redis.Options {
	opts := redis.Options{URL: cfg.RedisURL, KeyPrefix: cfg.KeyPrefix}
	if cfg.RedisURL == "" {
		opts.URL = "redis://" + t.RedisAddr
		opts.Kind = backends.KindEmbedded
		return opts
	}
	opts.Kind = redisKind(cfg.RedisURL)
	return opts
}

// redisKind is cloud for a TLS (rediss://) URL to a host that is not on this
// machine or a private network, local otherwise: managed Redis services
// require TLS, and a plaintext URL is a server you run yourself.
func redisKind(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "rediss" || isPrivateHost(u.Hostname()) {
		return backends.KindLocal
	}
	return backends.KindCloud
}

// dynamoDBOptions points DynamoDB at DYNAMODB_ENDPOINT, or at the embedded
// minidyn server.
func dynamoDBOptions(cfg backends.Config, t *embedded.Targets) dynamodb.Options {
	opts := dynamodb.Options{
		Endpoint: cfg.DynamoDBEndpoint,
		Region:   cfg.AWSRegion,
		Table:    cfg.DynamoDBTable,
	}
	if cfg.DynamoDBEndpoint == "" {
		opts.Endpoint = t.DynamoDBURL
		opts.Kind = backends.KindEmbedded
		return opts
	}
	opts.Kind = dynamoDBKind(cfg.DynamoDBEndpoint)
	return opts
}

// dynamoDBKind is cloud for "aws" and for an endpoint URL on amazonaws.com,
// local for any other endpoint (DynamoDB Local, dynalite...).
func dynamoDBKind(endpoint string) string {
	if endpoint == "aws" {
		return backends.KindCloud
	}
	u, err := url.Parse(endpoint)
	if err == nil && strings.HasSuffix(strings.ToLower(u.Hostname()), ".amazonaws.com") {
		return backends.KindCloud
	}
	return backends.KindLocal
}

// momentoOptions points Momento at real Momento (MOMENTO_API_KEY), at
// MOMENTO_ENDPOINT, or at the embedded emulator.
func momentoOptions(cfg backends.Config, t *embedded.Targets) momento.Options {
	opts := momento.Options{
		APIKey:    cfg.MomentoAPIKey,
		Endpoint:  cfg.MomentoEndpoint,
		Cache:     cfg.MomentoCache,
		KeyPrefix: cfg.KeyPrefix,
	}
	switch {
	case cfg.MomentoAPIKey != "":
		opts.Kind = backends.KindCloud
	case cfg.MomentoEndpoint != "":
		opts.Kind = backends.KindLocal
	default:
		opts.Endpoint = t.MomentoAddr
		opts.Kind = backends.KindEmbedded
	}
	return opts
}

// isPrivateHost reports whether host is this machine or on a private
// network: localhost, a loopback, private or link-local address, or a name
// without a dot (a compose service, say).
func isPrivateHost(host string) bool {
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified()
	}
	h := strings.ToLower(host)
	return h == "" || h == "localhost" || !strings.Contains(h, ".") ||
		strings.HasSuffix(h, ".local") || strings.HasSuffix(h, ".internal")
}

// checkTargets validates the configured targets before anything starts: the
// Redis URL, the DynamoDB endpoint, the Momento API key and endpoint. name
// gives the name to show for a variable: the flag it came from, or itself.
// Values that may hold a secret are never shown.
func checkTargets(cfg backends.Config, name func(env string) string) error {
	if v := cfg.RedisURL; v != "" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			return fmt.Errorf("%s=%q: want a redis:// or rediss:// URL with a host, "+
				"e.g. redis://localhost:6379", name("REDIS_URL"), backends.RedactURL(v))
		}
		if _, err := goredis.ParseURL(v); err != nil {
			return fmt.Errorf("%s=%q: %v", name("REDIS_URL"), backends.RedactURL(v), err)
		}
	}

	if v := cfg.DynamoDBEndpoint; v != "" && v != "aws" {
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%s=%q: want an http:// or https:// URL with a host, "+
				"e.g. http://localhost:8000, or aws", name("DYNAMODB_ENDPOINT"),
				backends.RedactURL(v))
		}
	}

	if cfg.MomentoAPIKey != "" {
		if _, err := auth.FromString(cfg.MomentoAPIKey); err != nil {
			return fmt.Errorf("MOMENTO_API_KEY is not a valid Momento API key")
		}
	}
	if v := cfg.MomentoEndpoint; v != "" {
		if err := checkHostPort(v, false); err != nil {
			return fmt.Errorf("%s=%q: %w", name("MOMENTO_ENDPOINT"), v, err)
		}
	}
	return nil
}

// checkHostPort validates a host:port address; listen allows an empty host
// (every interface) and port 0 (any free port).
func checkHostPort(addr string, listen bool) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port, e.g. 127.0.0.1:8080")
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if listen && err != nil {
		return fmt.Errorf("want host:port with a port from 0 (any free port) to 65535")
	}
	if err != nil || (n == 0 && !listen) {
		return fmt.Errorf("want host:port with a port from 1 to 65535")
	}
	if host == "" && !listen {
		return fmt.Errorf("want host:port with a host, e.g. localhost:9090")
	}
	return nil
}
