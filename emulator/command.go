package emulator

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
)

// DefaultAddr is the standalone command's listen address: port 8080, like
// momento-local. Containers pass --addr 0.0.0.0:8080.
const DefaultAddr = "127.0.0.1:8080"

// Main runs the standalone emulator, `counterlab emulator [flags]`, until
// ctx is cancelled, then stops gracefully. It logs one line per start, stop
// and injected fault (and per request with --log-requests) to stderr.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("emulator", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", DefaultAddr, "listen `address` (host:port)")
	var caches []string
	fs.Func("cache", "create this `cache` at start (repeatable, or comma-separated)",
		func(v string) error {
			caches = append(caches, splitList(v)...)
			return nil
		})
	logRequests := fs.Bool("log-requests", false, "log one line per request")
	logFormat := fs.String("log-format", "text", "log `format`: text or json")
	faultErr := fs.String("fault-error", "",
		"fail matching requests with this gRPC `code` (unavailable, internal, not-found, ...)")
	faultDelay := fs.Duration("fault-delay", 0, "delay matching requests by this `duration`")
	faultRPCs := fs.String("fault-rpc", "",
		"limit faults to these `rpcs`, comma-separated momento-local names (get,set-if,...); "+
			"default all")
	faultCache := fs.String("fault-cache", "", "limit faults to this `cache`; default all")
	faultShare := fs.Float64("fault-share", 0,
		"`fraction` (0 to 1) of matching requests hit; 0 means all")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: counterlab emulator [flags]\n\n"+
			"A Momento-compatible cache server for the Momento SDKs' momento-local\n"+
			"credential provider (plaintext gRPC).\n\nFlags:\n")
		fs.PrintDefaults()
	}

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stdout)
			fs.Usage()
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("emulator: unexpected arguments %q", fs.Args())
	}

	faults, err := flagFaults(*faultErr, *faultDelay, *faultRPCs, *faultCache, *faultShare)
	if err != nil {
		return err
	}
	log, err := newLogger(stderr, *logFormat)
	if err != nil {
		return err
	}

	s, err := RunWithOptions(Options{
		Addr: *addr, Logger: log, LogRequests: *logRequests, Caches: caches, Faults: faults,
	})
	if err != nil {
		return err
	}
	<-ctx.Done()
	return s.Close()
}

func newLogger(w io.Writer, format string) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	default:
		return nil, fmt.Errorf("emulator: --log-format %q: want text or json", format)
	}
}

// flagFaults turns the fault flags into faults: one per listed RPC, or one
// for every RPC.
func flagFaults(code string, delay time.Duration, rpcs, cacheName string,
	share float64) ([]Fault, error) {
	if code == "" && delay == 0 {
		if rpcs != "" || cacheName != "" || share != 0 {
			return nil, errors.New("emulator: --fault-rpc, --fault-cache and --fault-share " +
				"need --fault-error or --fault-delay")
		}
		return nil, nil
	}

	f := Fault{Cache: cacheName, Delay: delay, Share: share}
	if delay < 0 {
		return nil, fmt.Errorf("emulator: --fault-delay %s is negative", delay)
	}
	if !(share >= 0 && share <= 1) { // also refuses NaN
		return nil, fmt.Errorf("emulator: --fault-share %g is not between 0 and 1", share)
	}
	if code != "" {
		c, err := ParseCode(code)
		if err != nil {
			return nil, fmt.Errorf("emulator: --fault-error: %w", err)
		}
		if c == codes.OK {
			return nil, fmt.Errorf("emulator: --fault-error %q is not an error code", code)
		}
		f.Code = c
	}

	names := splitList(rpcs)
	if len(names) == 0 {
		return []Fault{f}, nil
	}
	known := RPCNames()
	out := make([]Fault, 0, len(names))
	for _, n := range names {
		if !slices.Contains(known, n) {
			return nil, fmt.Errorf("emulator: --fault-rpc %q is not a served RPC (one of %s)",
				n, strings.Join(known, ", "))
		}
		g := f
		g.RPC = n
		out = append(out, g)
	}
	return out, nil
}

// splitList splits a list separated by commas or spaces.
func splitList(v string) []string {
	return strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' })
}
