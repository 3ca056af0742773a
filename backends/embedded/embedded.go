// Package embedded starts the in-process targets that serve uses when a
// backend has no configured target: miniredis for Redis, minidyn's HTTP server
// for DynamoDB and our emulator for Momento. Each listens on an ephemeral
// loopback port and is reached by the backend's real client library over TCP;
// nothing here calls a target directly.
package embedded

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/counterlab/counterlab/emulator"
	dynserver "github.com/truora/minidyn/server"
)

// Options says which targets to start.
type Options struct {
	Redis    bool // start miniredis
	DynamoDB bool // start minidyn's HTTP server
	Momento  bool // start the Momento emulator

	// Logger receives one line per started target; nil discards.
	Logger *slog.Logger
}

// All returns options that start every target.
func All() Options { return Options{Redis: true, DynamoDB: true, Momento: true} }

// Targets are the started targets. A field is empty (nil) for a target that
// was not asked for.
type Targets struct {
	// RedisAddr is miniredis's "127.0.0.1:PORT".
	RedisAddr string
	// DynamoDBURL is minidyn's endpoint URL, "http://127.0.0.1:PORT".
	DynamoDBURL string
	// MomentoAddr is the emulator's "127.0.0.1:PORT".
	MomentoAddr string

	// Miniredis, DynamoDB and Emulator are the servers themselves, for tests
	// and fault injection.
	Miniredis *miniredis.Miniredis
	DynamoDB  *dynserver.Server
	Emulator  *emulator.Server

	closers []func() error
	faults  faultLayer // see faults.go
}

// Start starts the targets opts asks for. On error, those already started
// are closed.
func Start(opts Options) (*Targets, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := &Targets{}

	if opts.Redis {
		if err := t.startRedis(); err != nil {
			return nil, errors.Join(err, t.Close())
		}
		log.Info("embedded target started", "backend", "redis",
			"server", "miniredis", "address", t.RedisAddr)
	}

	if opts.DynamoDB {
		if err := t.startDynamoDB(); err != nil {
			return nil, errors.Join(err, t.Close())
		}
		log.Info("embedded target started", "backend", "dynamodb",
			"server", "minidyn", "address", t.DynamoDBURL)
	}

	if opts.Momento {
		if err := t.startMomento(log); err != nil {
			return nil, errors.Join(err, t.Close())
		}
		log.Info("embedded target started", "backend", "momento",
			"server", "counterlab emulator", "address", t.MomentoAddr)
	}
	return t, nil
}

func (t *Targets) startRedis() error {
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return fmt.Errorf("start miniredis on 127.0.0.1:0: %w", err)
	}
	t.faults.hookRedis(m)
	t.Miniredis = m
	t.RedisAddr = m.Addr()
	t.closers = append(t.closers, func() error { m.Close(); return nil })
	return nil
}

func (t *Targets) startDynamoDB() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listen for minidyn on 127.0.0.1:0: %w", err)
	}

	handler := dynserver.NewServer()
	srv := &http.Server{Handler: t.faults.wrapDynamoDB(handler),
		ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln) // returns http.ErrServerClosed on Close
	}()

	t.DynamoDB = handler
	t.DynamoDBURL = "http://" + ln.Addr().String()
	t.closers = append(t.closers, func() error {
		err := srv.Close()
		<-done
		return err
	})
	return nil
}

func (t *Targets) startMomento(log *slog.Logger) error {
	s, err := emulator.RunWithOptions(emulator.Options{
		Addr:   "127.0.0.1:0",
		Logger: log.With("component", "emulator"),
	})
	if err != nil {
		return fmt.Errorf("start the Momento emulator on 127.0.0.1:0: %w", err)
	}
	t.Emulator = s
	t.MomentoAddr = s.Addr()
	t.closers = append(t.closers, s.Close)
	return nil
}

// Close stops every started target, the last started first. It is safe to
// call more than once.
func (t *Targets) Close() error {
	var errs []error
	for i := len(t.closers) - 1; i >= 0; i-- {
		errs = append(errs, t.closers[i]())
	}
	t.closers = nil
	return errors.Join(errs...)
}
