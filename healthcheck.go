package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/counterlab/counterlab/backends"
)

// healthcheckMain GETs http://ADDR/healthz and exits 0 on a 200; failing
// that, it exits 0 when the emulator answers a gRPC Ping on ADDR, and 1
// otherwise. The container image has no shell or curl, so its HEALTHCHECK
// runs this, whether the container serves the app or the emulator. An
// unspecified listen host (0.0.0.0, ::) is reached on loopback.
func healthcheckMain(ctx context.Context, args []string, stdout, stderr io.Writer,
	getenv func(string) string,
) int {
	addr := backends.DefaultAddr
	if v := getenv("COUNTERLAB_ADDR"); v != "" {
		addr = v
	}
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&addr, "addr", addr, "server address host:port (COUNTERLAB_ADDR)")
	timeout := fs.Duration("timeout", 3*time.Second, "give up after this long")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "healthcheck: unexpected arguments %q\n", fs.Args())
		return 2
	}

	url, err := healthURL(addr)
	if err != nil {
		fmt.Fprintf(stderr, "healthcheck: %v\n", err)
		return 2
	}
	if err := checkHealthz(ctx, url, *timeout); err != nil {
		// Not the web app; the same image also runs the emulator.
		if perr := pingEmulator(ctx, url, *timeout); perr != nil {
			fmt.Fprintf(stderr, "healthcheck: %v; as the emulator: %v\n", err, perr)
			return 1
		}
		fmt.Fprintf(stdout, "healthcheck: emulator at %s ok\n", addr)
		return 0
	}
	fmt.Fprintf(stdout, "healthcheck: %s ok\n", url)
	return 0
}

// healthURL is the /healthz URL of a server listening on addr.
func healthURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("address %q: want host:port: %w", addr, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}

func checkHealthz(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}

	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))

	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d, want 200", url, resp.StatusCode)
	}
	return nil
}
