package main

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/compare"
)

// lockedBuffer is a bytes.Buffer safe for concurrent writers and readers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestServeEndsRunBeforeClosingBackends stops serve while a run is going:
// the run must be cancelled and finished before serve closes the backends
// and returns, not left working on closed clients after it.
func TestServeEndsRunBeforeClosingBackends(t *testing.T) {
	cfg := backends.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	logs := &lockedBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, compare.DefaultLimits(), log, func(addr string) { ready <- addr })
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("serve returned before listening: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not listen within 30s")
	}

	body := `{"workers": 4, "increments": 1000000, "keys": 1}`
	resp, err := http.Post("http://"+addr+"/api/runs", "application/json",
		strings.NewReader(body))
	if err != nil {
		t.Fatalf("start run: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("start run: status %d, want 202", resp.StatusCode)
	}
	time.Sleep(200 * time.Millisecond) // let increments be in flight

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not stop within 60s of cancellation")
	}

	out := logs.String()
	finished := strings.Index(out, `"msg":"run finished"`)
	stopped := strings.Index(out, `"msg":"stopped"`)
	if finished < 0 || stopped < 0 || finished > stopped {
		t.Errorf("log has run finished at %d and stopped at %d; want the run finished "+
			"before serve stopped:\n%s", finished, stopped, out)
	}
}
