package compare

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/counterlab/counterlab/backends"
)

// Limits of the compare command: it runs on the user's own machine, so they
// are wider than the web API's.
const (
	cliMaxWorkers    = 4096
	cliMaxIncrements = 100_000_000
	cliMaxKeys       = 1_000_000
	cliMaxRunTime    = 24 * time.Hour
)

// ErrIncorrect is returned by Main with -strict when a strategy meant to be
// correct did not get the verdict correct.
var ErrIncorrect = errors.New("a strategy meant to be correct was not judged correct")

// ErrUsage marks the errors of Main that come from its arguments; the
// command exits with status 2 on them. A request for help is flag.ErrHelp.
var ErrUsage = errors.New("usage")

// usageError marks err as a usage error; its message stays err's.
func usageError(err error) error { return usageErr{err} }

type usageErr struct{ err error }

func (u usageErr) Error() string   { return u.err.Error() }
func (u usageErr) Unwrap() []error { return []error{u.err, ErrUsage} }

// Opener opens the backends of a run and returns them with a function that
// closes them.
type Opener func(ctx context.Context) ([]backends.Backend, func() error, error)

// Main is the `counterlab compare` command: it reads its flags, opens the
// backends, runs one comparison, draws a progress bar on stderr and prints
// the results on stdout as a table, JSON, Markdown or CSV. Cancelling ctx
// (Ctrl-C) cancels the run and prints what was done.
func Main(ctx context.Context, args []string, open Opener, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		strategies = fs.String("strategies", "",
			"comma-separated backend/strategy list, e.g. redis/incr,momento/set-if-equal "+
				"(default: every strategy; the conditional ones only with -max)")
		workers    = fs.Int("workers", 64, "concurrent clients (1 to 4096)")
		increments = fs.Int("increments", 2000, "increments per strategy")
		keys       = fs.Int("keys", 1, "distinct counters the increments are spread over")
		maxValue   = fs.Int64("max", 1000, "max of the conditional strategies; 0 runs "+
			"only the unconditional ones")
		duration = fs.Duration("duration", 0, "optional time cap per strategy, e.g. 10s")
		runTime  = fs.Duration("max-run-time", 30*time.Minute, "time cap of the whole run (at most 24h)")
		format   = fs.String("format", OutputTable, "output: table, json, markdown or csv")
		charts   = fs.String("charts", "", "directory to write the charts to, as SVG and PNG")
		quiet    = fs.Bool("quiet", false, "no progress on stderr")
		strict   = fs.Bool("strict", false, "exit with an error when a strategy meant "+
			"to be correct is not judged correct")
	)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: counterlab compare [flags]\n\n"+
			"Runs the same workload against each strategy in turn, on fresh counters,\n"+
			"and judges each: correct, lost updates, exceeded max, extra updates or\n"+
			"inconclusive. Targets come from the same environment as serve.\n\nFlags:\n")
		fs.PrintDefaults()
		fmt.Fprintf(stderr, "\nStrategies:\n")
		for _, s := range backends.Strategies {
			fmt.Fprintf(stderr, "  %s/%s\n", s.Backend, s.ID)
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError(err)
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Errorf("compare takes no arguments, got %q (see -h)", fs.Args()))
	}
	if *runTime <= 0 || *runTime > cliMaxRunTime {
		return usageError(fmt.Errorf("-max-run-time %s: want more than 0 and at most %s",
			*runTime, cliMaxRunTime))
	}
	if !slices.Contains([]string{OutputTable, OutputJSON, OutputMarkdown, OutputCSV}, *format) {
		return usageError(fmt.Errorf("-format %q: want table, json, markdown or csv", *format))
	}

	spec := Spec{Workload: Workload{Workers: *workers, Increments: *increments,
		Keys: *keys, Max: *maxValue, Duration: *duration}}
	if *strategies != "" {
		for _, name := range strings.Split(*strategies, ",") {
			r, err := ParseRef(name)
			if err != nil {
				return usageError(err)
			}
			spec.Strategies = append(spec.Strategies, r)
		}
	}

	limits := Limits{MaxWorkers: cliMaxWorkers, MaxIncrements: cliMaxIncrements,
		MaxKeys: cliMaxKeys, MaxDuration: *runTime}
	if err := spec.Validate(limits); err != nil {
		return usageError(err)
	}

	bs, closeBackends, err := open(ctx)
	if err != nil {
		return fmt.Errorf("open the backends: %w", err)
	}
	defer func() { _ = closeBackends() }()
	m := NewManager(bs, Options{Limits: limits})
	defer m.Close()
	run, err := m.Start(spec)
	if backends.ErrorCode(err) == backends.CodeInvalidInput ||
		backends.ErrorCode(err) == backends.CodeUnknownBackend {
		return usageError(err)
	}
	if err != nil {
		return err
	}

	if !*quiet {
		printTargets(stderr, run.State())
	}
	follow(ctx, run, stderr, *quiet)
	s := run.State()

	if err := writeOutput(stdout, s, *format); err != nil {
		return fmt.Errorf("write the results: %w", err)
	}
	if *charts != "" {
		if err := writeCharts(*charts, s.Results); err != nil {
			return err
		}
		if !*quiet {
			fmt.Fprintf(stderr, "charts written to %s\n", *charts)
		}
	}

	if s.State == StateCancelled {
		return fmt.Errorf("run %s cancelled: %w", s.ID, context.Canceled)
	}
	if *strict && !allCorrect(s) {
		return ErrIncorrect
	}
	return nil
}

// printTargets says where each backend of the run points, in the order of
// the strategy list (redis, dynamodb, momento).
func printTargets(w io.Writer, s RunState) {
	var names []string
	for _, st := range backends.Strategies {
		if _, ok := s.Targets[st.Backend]; ok && !slices.Contains(names, st.Backend) {
			names = append(names, st.Backend)
		}
	}
	for n := range s.Targets {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, n := range names {
		t := s.Targets[n]
		fmt.Fprintf(w, "%-9s %-8s %s (%s)\n", n, t.Kind, t.Address, t.Library)
	}
}

// follow shows the run's progress until it ends, cancelling it when ctx is.
func follow(ctx context.Context, run *Run, w io.Writer, quiet bool) {
	bar := newProgressBar(w, quiet)
	seen := 0
	for {
		events, wake, ended := run.Events(seen)
		seen += len(events)
		for _, e := range events {
			bar.show(e)
		}
		if ended {
			return
		}
		select {
		case <-wake:
		case <-ctx.Done():
			run.Cancel()
			<-run.Done()
		}
	}
}

func writeOutput(w io.Writer, s RunState, format string) error {
	switch format {
	case OutputJSON:
		return WriteJSON(w, s)
	case OutputMarkdown:
		return WriteMarkdown(w, s)
	case OutputCSV:
		return WriteCSV(w, s)
	}
	return WriteTable(w, s)
}

// writeCharts writes every chart as SVG and PNG into dir.
func writeCharts(dir string, results []Result) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create the charts directory: %w", err)
	}
	for _, name := range Charts() {
		for _, format := range []string{FormatSVG, FormatPNG} {
			b, err := Chart(results, name, format, ThemeLight)
			if err != nil {
				return err
			}
			p := filepath.Join(dir, name+"."+format)
			if err := os.WriteFile(p, b, 0o644); err != nil {
				return fmt.Errorf("write chart %s: %w", p, err)
			}
		}
	}
	return nil
}

// allCorrect reports whether every strategy meant to be correct was judged
// correct.
func allCorrect(s RunState) bool {
	for _, r := range s.Results {
		if strategyCorrect(r.Ref()) && r.Verdict.ID != VerdictCorrect {
			return false
		}
	}
	return true
}
