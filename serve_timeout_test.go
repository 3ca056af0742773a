package main

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/compare"
)

// startServe runs serve with nothing configured and readTimeout set to d;
// t.Cleanup stops it and restores readTimeout.
func startServe(t *testing.T, d time.Duration) string {
	t.Helper()
	saved := readTimeout
	readTimeout = d
	cfg := backends.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"

	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- serve(ctx, cfg, compare.DefaultLimits(), slog.New(slog.DiscardHandler),
			func(addr string) { ready <- addr })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		readTimeout = saved
	})

	select {
	case addr := <-ready:
		return addr
	case err := <-done:
		t.Fatalf("serve returned before listening: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not listen within 30s")
	}
	return ""
}

// TestServeReadTimeout checks that a request whose body stalls is answered
// once readTimeout has passed, instead of holding its handler forever, and
// that an event stream, which writes long after its request was read,
// outlives readTimeout.
func TestServeReadTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	addr := startServe(t, timeout)

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer conn.Close()
	_, err = conn.Write([]byte("POST /api/runs HTTP/1.1\r\nHost: counterlab\r\n" +
		"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"))
	if err != nil {
		t.Fatalf("write a stalled request: %v", err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("got no answer to a stalled body within 10s: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("stalled body: got status %d, want 400", resp.StatusCode)
	}

	// A run of about 1.5 s, several times the read timeout.
	body := `{"strategies": ["redis/incr"], "workers": 1, "increments": 1000000,
		"durationSeconds": 1.5}`
	resp, err = http.Post("http://"+addr+"/api/runs", "application/json",
		strings.NewReader(body))
	if err != nil {
		t.Fatalf("start run: %v", err)
	}
	var run struct{ ID string }
	err = json.NewDecoder(resp.Body).Decode(&run)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusAccepted {
		t.Fatalf("start run: status %d, decode error %v; want 202", resp.StatusCode, err)
	}

	start := time.Now()
	resp, err = http.Get("http://" + addr + "/api/runs/" + run.ID + "/events")
	if err != nil {
		t.Fatalf("events: %v", err)
	}
	defer resp.Body.Close()
	finished := false
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if sc.Text() == "event: "+compare.EventRunFinished {
			finished = true
		}
	}
	took := time.Since(start)
	if !finished {
		t.Errorf("the event stream ended after %v without run-finished (error %v); "+
			"want it to outlive the read timeout of %v", took, sc.Err(), timeout)
	}
	if took < 2*timeout {
		t.Errorf("the event stream lasted %v, want more than %v to show it outlives "+
			"the read timeout", took, 2*timeout)
	}
}
