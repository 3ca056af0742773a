package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/compare"
)

// compareMain runs `counterlab compare`: one comparison on the backends the
// environment configures (embedded targets for those it leaves unset), the
// same wiring as serve. Logs go to stderr at warn level unless
// COUNTERLAB_LOG_LEVEL says otherwise, so that they do not hide the progress.
func compareMain(ctx context.Context, args []string, stdout, stderr io.Writer,
	getenv func(string) string,
) int {
	level := getenv("COUNTERLAB_LOG_LEVEL")
	if level == "" {
		level = "warn"
	}
	log, err := newLogger(stderr, getenv("COUNTERLAB_LOG_FORMAT"), level)
	if err != nil {
		fmt.Fprintf(stderr, "counterlab compare: %v\n", err)
		return 2
	}
	cfg, err := backends.LoadConfig(getenv)
	if err == nil {
		err = checkTargets(cfg, func(env string) string { return env })
	}
	if err != nil {
		fmt.Fprintf(stderr, "counterlab compare: %v\n", err)
		return 2
	}

	open := func(ctx context.Context) ([]backends.Backend, func() error, error) {
		o, err := openBackends(ctx, cfg, log)
		if err != nil {
			return nil, nil, err
		}
		return o.Backends, o.Close, nil
	}
	err = compare.Main(ctx, args, open, stdout, stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, compare.ErrUsage):
		fmt.Fprintf(stderr, "counterlab compare: %v\n", err)
		return 2
	}
	fmt.Fprintf(stderr, "counterlab compare: %v\n", err)
	return 1
}
