package redis

import (
	"context"
	_ "embed"
	"errors"
	"strconv"

	goredis "github.com/redis/go-redis/v9"

	"github.com/counterlab/counterlab/backends"
)

// counterSource is the script of the lua strategy.
//
//go:embed counter.lua
var counterSource string

// counterScript holds the script and its SHA-1, computed here, not by the server.
var counterScript = goredis.NewScript(counterSource)

// Status replies of the script when it leaves the counter unchanged.
const (
	replyLimit      = "LIMIT"
	replyNotInteger = "NOT_INTEGER"
	replyOverflow   = "OVERFLOW"
)

// Increment adds one to counter id with strategy incr (max must be 0) or lua
// (max from 1 to backends.MaxLimit). An empty strategy picks the default.
func (b *Backend) Increment(
	ctx context.Context, strategy, id string, max int64,
) (backends.Result, error) {
	s, err := backends.CheckIncrement(backends.Redis, strategy, id, max, backends.MaxLimit)
	if err != nil {
		return backends.Result{}, err
	}

	ctx = track(ctx)
	if s.ID == backends.RedisIncr {
		return b.incr(ctx, id)
	}
	return b.lua(ctx, id, max)
}

// incr sends INCR.
func (b *Backend) incr(ctx context.Context, id string) (backends.Result, error) {
	n, err := b.client.Incr(ctx, b.key(id)).Result()
	if err != nil {
		return backends.Result{}, classify(ctx, err, "INCR of counter %q", id)
	}
	return backends.Result{Value: n, RoundTrips: 1, Attempts: 1}, nil
}

// lua runs the script by its SHA-1, sending its source with EVAL only when
// the server answers NOSCRIPT (a flushed script cache or a restarted server).
// NOSCRIPT means the script did not run, so sending it again applies the
// increment once.
func (b *Backend) lua(ctx context.Context, id string, max int64) (backends.Result, error) {
	keys := []string{b.key(id)}
	trips := 1
	cmd := counterScript.EvalSha(ctx, b.client, keys, max)
	if goredis.HasErrorPrefix(cmd.Err(), "NOSCRIPT") {
		b.log.InfoContext(ctx, "redis script not cached, sending its source",
			"sha1", counterScript.Hash())
		trips++
		cmd = counterScript.Eval(ctx, b.client, keys, max)
	}

	reply, err := cmd.Result()
	if err != nil {
		return backends.Result{}, classify(ctx, err, "script increment of counter %q", id)
	}

	switch r := reply.(type) {
	case int64:
		return backends.Result{Value: r, RoundTrips: trips, Attempts: 1}, nil
	case string:
		switch r {
		case replyLimit:
			return backends.Result{}, backends.Errorf(backends.CodeLimitReached,
				"counter %q is at or above max %d", id, max).With("max", max)
		case replyNotInteger:
			return backends.Result{}, notInteger(id, nil)
		case replyOverflow:
			return backends.Result{}, overflow(id, nil)
		}
		// A counter below -2^53 comes back as a string (see counter.lua).
		if n, err := strconv.ParseInt(r, 10, 64); err == nil {
			return backends.Result{Value: n, RoundTrips: trips, Attempts: 1}, nil
		}
	}
	return backends.Result{}, backends.Errorf(backends.CodeInternal,
		"script increment of counter %q: unexpected reply %T %v", id, reply, reply)
}

// Get reads counter id with GET.
func (b *Backend) Get(ctx context.Context, id string) (backends.Reading, error) {
	if id == "" {
		return backends.Reading{}, backends.Errorf(backends.CodeInvalidInput, "empty counter id")
	}

	ctx = track(ctx)
	s, err := b.client.Get(ctx, b.key(id)).Result()
	if errors.Is(err, goredis.Nil) {
		return backends.Reading{}, nil
	}
	if err != nil {
		return backends.Reading{}, readFailed(classify(ctx, err, "GET of counter %q", id))
	}

	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return backends.Reading{}, notInteger(id, err)
	}
	return backends.Reading{Value: n, Exists: true}, nil
}

// Reset deletes counter id with DEL.
func (b *Backend) Reset(ctx context.Context, id string) error {
	if id == "" {
		return backends.Errorf(backends.CodeInvalidInput, "empty counter id")
	}

	ctx = track(ctx)
	if err := b.client.Del(ctx, b.key(id)).Err(); err != nil {
		return classify(ctx, err, "DEL of counter %q", id)
	}
	return nil
}

// notInteger is the error for a stored value INCR refuses.
func notInteger(id string, cause error) *backends.Error {
	return backends.Wrap(backends.CodeNotInteger, cause,
		"counter %q holds a value that is not an integer; it was left unchanged", id)
}

// overflow is the error for a counter at the top of the int64 range.
func overflow(id string, cause error) *backends.Error {
	return backends.Wrap(backends.CodeOverflow, cause,
		"counter %q is at the largest 64-bit integer; it was left unchanged", id)
}
