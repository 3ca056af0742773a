package web

import (
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/counterlab/counterlab/backends"
)

// TestBackends checks GET /api/backends: the three backends in order, on
// embedded targets, healthy, with their strategies.
func TestBackends(t *testing.T) {
	s := newTestServer(t, testOptions{})

	r := s.do("GET", "/api/backends", nil)
	r.want(t, "GET /api/backends", http.StatusOK, "")
	list, _ := r.body["backends"].([]any)
	names := []string{backends.Redis, backends.DynamoDB, backends.Momento}
	if len(list) != len(names) {
		t.Fatalf("%d backends, want %d: %s", len(list), len(names), r.raw)
	}
	for i, item := range list {
		b := item.(map[string]any)
		if b["name"] != names[i] {
			t.Errorf("backend %d is %v, want %s", i, b["name"], names[i])
		}
		target := b["target"].(map[string]any)
		if target["kind"] != "embedded" || target["address"] == "" || target["library"] == "" {
			t.Errorf("%s target %v, want kind embedded with an address and library",
				names[i], target)
		}
		h := b["health"].(map[string]any)
		if h["ok"] != true || h["error"] != "" || h["checkedAt"] == "" {
			t.Errorf("%s health %v, want ok", names[i], h)
		}
		strategies := b["strategies"].([]any)
		if len(strategies) != len(backends.StrategiesOf(names[i])) {
			t.Errorf("%s has %d strategies, want %d", names[i], len(strategies),
				len(backends.StrategiesOf(names[i])))
		}
	}
}

func TestHealthz(t *testing.T) {
	s := newTestServer(t, testOptions{})

	r := s.do("GET", "/healthz", nil)
	r.want(t, "GET /healthz", http.StatusOK, "")
	if r.body["status"] != "ok" {
		t.Errorf("body %s, want status ok", r.raw)
	}

	r = s.do("GET", "/readyz", nil)
	r.want(t, "GET /readyz", http.StatusOK, "")
	if r.body["status"] != "ready" {
		t.Errorf("body %s, want status ready", r.raw)
	}
}

// TestReadyzRecovers points Redis at a closed port: /readyz answers 503
// naming redis, increments answer 503 unavailable, and both recover once a
// Redis server listens on that port.
func TestReadyzRecovers(t *testing.T) {
	addr := freeAddr(t)
	s := newTestServer(t, testOptions{redisURL: "redis://" + addr})

	r := s.do("GET", "/readyz", nil)
	r.want(t, "GET /readyz with redis down", http.StatusServiceUnavailable, "unavailable")
	unhealthy, _ := r.body["unhealthy"].(map[string]any)
	if _, ok := unhealthy["redis"]; !ok || len(unhealthy) != 1 {
		t.Errorf("unhealthy %v, want only redis", unhealthy)
	}

	s.do("POST", "/api/counters/redis/down/increment", nil).
		want(t, "increment with redis down", http.StatusServiceUnavailable, "unavailable")
	s.do("GET", "/healthz", nil).want(t, "healthz with redis down", http.StatusOK, "")

	b := s.do("GET", "/api/backends", nil)
	first := b.body["backends"].([]any)[0].(map[string]any)
	if h := first["health"].(map[string]any); h["ok"] != false || h["error"] == "" {
		t.Errorf("redis health %v, want not ok with an error", h)
	}

	m := miniredis.NewMiniRedis()
	if err := m.StartAddr(addr); err != nil {
		t.Fatalf("start miniredis on %s: %v", addr, err)
	}
	t.Cleanup(m.Close)

	deadline := time.Now().Add(20 * time.Second)
	for {
		r = s.do("GET", "/readyz", nil)
		if r.status == http.StatusOK || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	r.want(t, "GET /readyz once redis is up", http.StatusOK, "")

	inc := s.do("POST", "/api/counters/redis/down/increment", nil)
	inc.want(t, "increment once redis is up", http.StatusOK, "")
	if inc.num(t, "value") != 1 {
		t.Errorf("value %v, want 1: the refused increment must not have been applied",
			inc.body["value"])
	}
}

// freeAddr returns a loopback address nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatalf("close %s: %v", addr, err)
	}
	return addr
}
