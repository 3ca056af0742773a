package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/compare"
	"github.com/counterlab/counterlab/web"
)

// serveFlags are the flags of serve, each mirroring an environment variable;
// a flag given on the command line wins over its variable. MOMENTO_API_KEY
// has no flag, to keep the key out of process listings.
var serveFlags = []struct{ flag, env, usage string }{
	{"addr", "COUNTERLAB_ADDR", "listen address host:port (default " + backends.DefaultAddr + ")"},
	{"redis-url", "REDIS_URL", "redis:// or rediss:// URL (default: embedded miniredis)"},
	{"dynamodb-endpoint", "DYNAMODB_ENDPOINT",
		"DynamoDB endpoint URL, or aws for the real service (default: embedded minidyn)"},
	{"dynamodb-table", "DYNAMODB_TABLE", "DynamoDB table (default " +
		backends.DefaultDynamoDBTable + ")"},
	{"aws-region", "AWS_REGION", "AWS region, with --dynamodb-endpoint=aws"},
	{"momento-endpoint", "MOMENTO_ENDPOINT",
		"host:port of momento-local or a standalone emulator (default: embedded emulator)"},
	{"momento-cache", "MOMENTO_CACHE", "Momento cache (default " +
		backends.DefaultMomentoCache + ")"},
	{"key-prefix", "COUNTERLAB_KEY_PREFIX", "prefix of Redis and Momento keys (default " +
		backends.DefaultKeyPrefix + ")"},
	{"use-conditional-writes", "USE_CONDITIONAL_WRITES",
		"true: POST /{backend}/{id} increments conditionally"},
	{"max-counter-value", "MAX_COUNTER_VALUE", "bound of POST /{backend}/{id} when conditional " +
		"(default " + strconv.Itoa(backends.DefaultMaxCounterValue) + ")"},
	{"log-format", "COUNTERLAB_LOG_FORMAT", "text or json (default text)"},
	{"log-level", "COUNTERLAB_LOG_LEVEL", "debug, info, warn or error (default info)"},
}

// shutdownTimeout bounds the wait for requests in flight at shutdown.
const shutdownTimeout = 15 * time.Second

// readTimeout bounds reading one request, its header and its body: a client
// that stalls in the middle of a body is answered 400 once it has passed. It
// does not bound writing the answer, so event streams outlive it. A variable
// so that tests can shorten it.
var readTimeout = 30 * time.Second

// serveMain parses the flags of serve and runs the server until ctx ends.
func serveMain(ctx context.Context, args []string, stderr io.Writer,
	getenv func(string) string,
) int {
	getenv, name, err := parseServeFlags(args, stderr, getenv)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	// Configuration errors name the flag a value came from, or its variable.
	bad := func(err error) int {
		msg := err.Error()
		for _, f := range serveFlags {
			if name(f.env) != f.env {
				msg = strings.ReplaceAll(msg, f.env, name(f.env))
			}
		}
		fmt.Fprintf(stderr, "serve: %s\n", msg)
		return 2
	}

	log, err := newLogger(stderr, getenv("COUNTERLAB_LOG_FORMAT"), getenv("COUNTERLAB_LOG_LEVEL"))
	if err != nil {
		return bad(err)
	}
	cfg, err := backends.LoadConfig(getenv)
	if err != nil {
		return bad(err)
	}
	if err := checkHostPort(cfg.Addr, true); err != nil {
		return bad(fmt.Errorf("COUNTERLAB_ADDR=%q: %w", cfg.Addr, err))
	}
	if err := checkTargets(cfg, name); err != nil {
		return bad(err)
	}
	limits, err := compare.LoadLimits(getenv)
	if err != nil {
		return bad(err)
	}

	if err := serve(ctx, cfg, limits, log, nil); err != nil {
		log.Error("serve failed", "error", err)
		return 1
	}
	return 0
}

// parseServeFlags parses args and returns a getenv in which every flag given
// replaces its variable, and name, which names a variable as the user gave
// it: "--flag" for a flag given, the variable itself otherwise.
func parseServeFlags(args []string, stderr io.Writer, getenv func(string) string) (
	getenvOut func(string) string, name func(string) string, err error,
) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	values := map[string]*string{}
	for _, f := range serveFlags {
		if f.flag == "use-conditional-writes" {
			fs.Bool(f.flag, false, f.usage+" ("+f.env+")")
			continue
		}
		values[f.flag] = fs.String(f.flag, "", f.usage+" ("+f.env+")")
	}
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: counterlab serve [flags]\n\n"+
			"Each flag overrides its environment variable, named in parentheses.\n"+
			"MOMENTO_API_KEY (real Momento) is read from the environment only.\n\n")
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nOther commands: emulator, compare, healthcheck "+
			"(\"counterlab help\" lists them).\n")
	}
	if err := fs.Parse(args); err != nil {
		return nil, nil, err
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "serve: unexpected arguments %q\n", fs.Args())
		return nil, nil, fmt.Errorf("unexpected arguments")
	}

	overlay, flagOf := map[string]string{}, map[string]string{}
	fs.Visit(func(f *flag.Flag) {
		for _, sf := range serveFlags {
			if sf.flag == f.Name {
				overlay[sf.env] = f.Value.String()
				flagOf[sf.env] = "--" + sf.flag
			}
		}
	})
	getenvOut = func(name string) string {
		if v, ok := overlay[name]; ok {
			return v
		}
		return getenv(name)
	}
	name = func(env string) string {
		if f, ok := flagOf[env]; ok {
			return f
		}
		return env
	}
	return getenvOut, name, nil
}

// newLogger builds the slog logger of the process, writing to w.
func newLogger(w io.Writer, format, level string) (*slog.Logger, error) {
	var lvl slog.Level
	if level != "" {
		if err := lvl.UnmarshalText([]byte(level)); err != nil {
			return nil, fmt.Errorf("log level %q: want debug, info, warn or error", level)
		}
	}
	opts := &slog.HandlerOptions{Level: lvl}

	switch strings.ToLower(format) {
	case "", "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("log format %q: want text or json", format)
	}
}

// serve listens on cfg.Addr, opens the backends and serves the router until
// ctx ends; then it stops taking requests, waits for those in flight, and
// closes the backends and the embedded targets. limits bound the comparison
// runs. ready, when not nil, gets the address listened on.
func serve(ctx context.Context, cfg backends.Config, limits compare.Limits, log *slog.Logger,
	ready func(addr string),
) error {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	defer ln.Close() // in case serving never starts; Shutdown closes it too

	opened, err := openBackends(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := opened.Close(); err != nil {
			log.Warn("close backends", "error", err)
		}
	}()

	stopping := make(chan struct{})
	runsStopped := make(chan struct{})
	srv := &http.Server{
		Handler: web.NewRouter(web.Deps{
			Backends:             opened.Backends,
			Logger:               log,
			UseConditionalWrites: cfg.UseConditionalWrites,
			MaxCounterValue:      cfg.MaxCounterValue,
			Stopping:             stopping,
			RunsStopped:          func() { close(runsStopped) },
			RunLimits:            limits,
			Embedded:             opened.Targets,
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       readTimeout,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	srv.RegisterOnShutdown(func() { close(stopping) })

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("listening", "address", ln.Addr().String(), "url", "http://"+ln.Addr().String()+"/",
		"useConditionalWrites", cfg.UseConditionalWrites, "maxCounterValue", cfg.MaxCounterValue)
	if ready != nil {
		ready(ln.Addr().String())
	}

	select {
	case err := <-served:
		return fmt.Errorf("serve on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}

	log.Info("shutting down", "timeout", shutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("shutdown: requests still in flight were cut", "error", err)
		_ = srv.Close()
	}
	<-served

	// Shutdown waits for handlers only; the run going, if any, is cancelled
	// through Stopping and must end before the backends close under it.
	select {
	case <-runsStopped:
	case <-sctx.Done():
		log.Warn("shutdown: the run going did not end in time; closing the backends anyway")
	}
	log.Info("stopped")
	return nil
}
