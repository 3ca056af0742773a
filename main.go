// Command counterlab serves one atomic-counter API over Redis, DynamoDB and
// Momento, runs comparisons of their increment strategies, and runs the
// Momento-compatible emulator on its own.
//
//	counterlab [serve] [flags]     the web app and API (the default)
//	counterlab emulator [flags]    the Momento-compatible emulator alone
//	counterlab compare [flags]     a comparison run from the command line
//	counterlab healthcheck [flags] exit 0 when the app's /healthz or the emulator answers
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/counterlab/counterlab/emulator"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

const usage = `usage: counterlab [command] [flags]

commands:
  serve        serve the web app and API (the default)
  emulator     run the Momento-compatible emulator alone
  compare      run a comparison of strategies from the command line
  healthcheck  exit 0 when the app's /healthz answers 200 or the emulator a Ping,
               1 otherwise

Run "counterlab <command> -h" for a command's flags.
`

// run runs one subcommand and returns the process exit code: 0 success,
// 1 failure, 2 bad usage.
func run(ctx context.Context, args []string, stdout, stderr io.Writer,
	getenv func(string) string,
) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}

	switch cmd {
	case "serve":
		return serveMain(ctx, args, stderr, getenv)
	case "emulator":
		return emulatorMain(ctx, args, stdout, stderr)
	case "compare":
		return compareMain(ctx, args, stdout, stderr, getenv)
	case "healthcheck":
		return healthcheckMain(ctx, args, stdout, stderr, getenv)
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "counterlab: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}

// emulatorMain runs the standalone emulator until ctx ends.
func emulatorMain(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if err := emulator.Main(ctx, args, stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "counterlab emulator: %v\n", err)
		return 1
	}
	return 0
}
