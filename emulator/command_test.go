package emulator_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/momentohq/client-sdk-go/auth"
	"github.com/momentohq/client-sdk-go/config"
	"github.com/momentohq/client-sdk-go/config/logger/momento_default_logger"
	"github.com/momentohq/client-sdk-go/momento"

	"github.com/counterlab/counterlab/emulator"
)

// syncBuffer is a bytes.Buffer safe for the logger and the test at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

func TestMainServesUntilCancelled(t *testing.T) {
	runCtx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- emulator.Main(runCtx, []string{
			"--addr", "127.0.0.1:0", "--cache", "c1,c2",
			"--fault-error", "unavailable", "--fault-rpc", "increment",
		}, &stdout, &stderr)
	}()

	port := waitForPort(t, &stderr, done)
	cred, err := auth.NewMomentoLocalProvider(&auth.MomentoLocalConfig{Port: uint(port)})
	if err != nil {
		t.Fatal(err)
	}
	logs := momento_default_logger.NewDefaultMomentoLoggerFactory(momento_default_logger.WARN)
	c, err := momento.NewCacheClientWithEagerConnectTimeout(
		config.LaptopLatestWithLogger(logs), cred, time.Minute, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()

	setValue(t, c, "c2", "k", "v", 0)
	if got, ok := getValue(t, c, "c2", "k"); !ok || got != "v" {
		t.Fatalf("Get: got %q (hit %v), want v", got, ok)
	}
	if _, err := increment(t, c, "c1", "n", 1); momentoCode(err) != momento.ServerUnavailableError {
		t.Fatalf("Increment under --fault-error: got %v, want %q", err, momento.ServerUnavailableError)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Main: got %v, want nil after cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("Main did not return after cancel")
	}

	logs2 := stderr.String()
	for _, want := range []string{"emulator started", "emulator fault injected", "emulator stopped"} {
		if !strings.Contains(logs2, want) {
			t.Errorf("logs lack %q:\n%s", want, logs2)
		}
	}
	if strings.Contains(logs2, "emulator request") {
		t.Errorf("logs have per-request lines without --log-requests:\n%s", logs2)
	}
}

// waitForPort reads the port from the start line of the log.
func waitForPort(t *testing.T, stderr *syncBuffer, done chan error) int {
	t.Helper()
	re := regexp.MustCompile(`emulator started" addr=127\.0\.0\.1:(\d+)`)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if m := re.FindStringSubmatch(stderr.String()); m != nil {
			port, _ := strconv.Atoi(m[1])
			return port
		}
		select {
		case err := <-done:
			t.Fatalf("Main returned early: %v\n%s", err, stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no start line in the log:\n%s", stderr.String())
	return 0
}

func TestMainFlagErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown rpc", []string{"--fault-error", "internal", "--fault-rpc", "bogus"}, "bogus"},
		{"unknown code", []string{"--fault-error", "bogus"}, "bogus"},
		{"share out of range", []string{"--fault-delay", "1s", "--fault-share", "2"}, "between 0 and 1"},
		{"share not a number", []string{"--fault-delay", "1s", "--fault-share", "NaN"},
			"between 0 and 1"},
		{"ok is no error", []string{"--fault-error", "ok"}, "not an error code"},
		{"scope without fault", []string{"--fault-rpc", "get"}, "need --fault-error"},
		{"extra argument", []string{"serve"}, "unexpected arguments"},
		{"bad log format", []string{"--log-format", "xml"}, "text or json"},
		{"unknown flag", []string{"--nope"}, "not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			err := emulator.Main(context.Background(), append(tt.args, "--addr", "127.0.0.1:0"),
				&out, &errOut)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestMainHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := emulator.Main(context.Background(), []string{"-h"}, &out, &errOut); err != nil {
		t.Fatalf("-h: got %v, want nil", err)
	}
	for _, want := range []string{"-addr", "127.0.0.1:8080", "-fault-error", "-log-requests"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("usage lacks %q:\n%s", want, out.String())
		}
	}
}

func newTextLogger(w io.Writer) *slog.Logger { return slog.New(slog.NewTextHandler(w, nil)) }

func TestLogRequests(t *testing.T) {
	var logs syncBuffer
	s, err := emulator.RunWithOptions(emulator.Options{
		Logger: newTextLogger(&logs), LogRequests: true, Caches: []string{"c"},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	c := s.Client(t)
	_ = tryGet(t, c, "c")
	if !strings.Contains(logs.String(), "method=/cache_client.Scs/Get") {
		t.Fatalf("no request line for Get:\n%s", logs.String())
	}
}
