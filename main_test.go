package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/compare"
)

// TestServe runs serve with nothing configured, as `go run .` on a fresh
// machine: every backend on its embedded target, the API answering through
// the real clients, healthcheck passing, and a clean stop when ctx ends.
func TestServe(t *testing.T) {
	cfg := backends.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))

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
	base := "http://" + addr

	var list struct {
		Backends []struct {
			Name   string
			Target backends.Target
			Health struct{ OK bool }
		}
	}
	getJSON(t, base+"/api/backends", &list)
	if len(list.Backends) != 3 {
		t.Fatalf("%d backends, want 3", len(list.Backends))
	}
	for _, b := range list.Backends {
		if b.Target.Kind != backends.KindEmbedded || !b.Health.OK {
			t.Errorf("%s: kind %s, healthy %t; want embedded and healthy", b.Name,
				b.Target.Kind, b.Health.OK)
		}
	}

	for _, name := range []string{"redis", "dynamodb", "momento"} {
		resp, err := http.Post(base+"/api/counters/"+name+"/served/increment", "", nil)
		if err != nil {
			t.Fatalf("increment on %s: %v", name, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("increment on %s: status %d, want 200", name, resp.StatusCode)
		}
	}

	var out, errOut bytes.Buffer
	if code := run(ctx, []string{"healthcheck", "--addr", addr}, &out, &errOut,
		noEnv); code != 0 {
		t.Errorf("healthcheck exit %d, want 0 (%s)", code, errOut.String())
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop within 30s of cancellation")
	}
	if code := run(context.Background(), []string{"healthcheck", "--addr", addr,
		"--timeout", "2s"}, io.Discard, io.Discard, noEnv); code != 1 {
		t.Errorf("healthcheck after stop: exit %d, want 1", code)
	}

	targets := 0
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, `"msg":"backend target"`) {
			targets++
		}
	}
	if targets != 3 {
		t.Errorf("%d start-up lines about backend targets, want 3:\n%s", targets, logs.String())
	}
}

func getJSON(t *testing.T, url string, dst any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: status %d, want 200", url, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(dst); err != nil {
		t.Fatalf("GET %s: decode: %v", url, err)
	}
}

func noEnv(string) string { return "" }

// TestOpenBackendsTargetDown checks that a configured target that is down
// does not stop the wiring: the backend opens, reports its kind and address,
// and is unhealthy.
func TestOpenBackendsTargetDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	cfg := backends.DefaultConfig()
	cfg.RedisURL = "redis://:secret@" + addr
	o, err := openBackends(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("openBackends with redis down: %v", err)
	}
	t.Cleanup(func() { _ = o.Close() })

	if o.Targets.RedisAddr != "" || o.Targets.DynamoDBURL == "" || o.Targets.MomentoAddr == "" {
		t.Errorf("embedded targets %+v, want dynamodb and momento only", o.Targets)
	}
	r := o.Backends[0]
	if r.Name() != backends.Redis || r.Target().Kind != backends.KindLocal {
		t.Errorf("first backend %s kind %s, want redis local", r.Name(), r.Target().Kind)
	}
	if strings.Contains(r.Target().Address, "secret") {
		t.Errorf("address %q shows the password", r.Target().Address)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.Health(ctx); err == nil {
		t.Errorf("redis health with nothing on %s: nil, want an error", addr)
	}
}

func TestTargetKinds(t *testing.T) {
	redisTests := []struct{ url, want string }{
		{"redis://localhost:6379", "local"},
		{"redis://cache.example.com:6379", "local"},
		{"rediss://cache.example.com:6380", "cloud"},
		{"rediss://:pw@master.abc.cache.amazonaws.com:6379", "cloud"},
		{"rediss://127.0.0.1:6380", "local"},
		{"rediss://10.1.2.3:6380", "local"},
		{"rediss://redis:6380", "local"},
		{"rediss://[::1]:6380", "local"},
		{"rediss://[2001:db8::1]:6380", "cloud"},
	}
	for _, tt := range redisTests {
		if got := redisKind(tt.url); got != tt.want {
			t.Errorf("redisKind(%q) = %s, want %s", tt.url, got, tt.want)
		}
	}

	dynamoTests := []struct{ endpoint, want string }{
		{"aws", "cloud"},
		{"http://localhost:8000", "local"},
		{"http://dynamodb-local:8000", "local"},
		{"https://dynamodb.eu-west-1.amazonaws.com", "cloud"},
	}
	for _, tt := range dynamoTests {
		if got := dynamoDBKind(tt.endpoint); got != tt.want {
			t.Errorf("dynamoDBKind(%q) = %s, want %s", tt.endpoint, got, tt.want)
		}
	}
}

func TestHealthURL(t *testing.T) {
	tests := []struct{ addr, want string }{
		{"127.0.0.1:8080", "http://127.0.0.1:8080/healthz"},
		{"0.0.0.0:8080", "http://127.0.0.1:8080/healthz"},
		{":9000", "http://127.0.0.1:9000/healthz"},
		{"[::]:8080", "http://127.0.0.1:8080/healthz"},
		{"[::1]:8080", "http://[::1]:8080/healthz"},
		{"example.com:80", "http://example.com:80/healthz"},
	}
	for _, tt := range tests {
		got, err := healthURL(tt.addr)
		if err != nil || got != tt.want {
			t.Errorf("healthURL(%q) = %q, %v; want %q", tt.addr, got, err, tt.want)
		}
	}
	if _, err := healthURL("8080"); err == nil {
		t.Error(`healthURL("8080"): nil error, want one`)
	}
}

// TestHealthcheck checks the exit codes against servers answering 200 and
// 503, and the address taken from COUNTERLAB_ADDR.
func TestHealthcheck(t *testing.T) {
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/healthz" {
			http.NotFound(w, r)
			return
		}
		w.WriteHeader(status)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	env := func(name string) string {
		if name == "COUNTERLAB_ADDR" {
			return addr
		}
		return ""
	}

	ctx := context.Background()
	if code := run(ctx, []string{"healthcheck"}, io.Discard, io.Discard, env); code != 0 {
		t.Errorf("healthcheck on a 200: exit %d, want 0", code)
	}
	status = http.StatusServiceUnavailable
	if code := run(ctx, []string{"healthcheck"}, io.Discard, io.Discard, env); code != 1 {
		t.Errorf("healthcheck on a 503: exit %d, want 1", code)
	}
	if code := run(ctx, []string{"healthcheck", "--addr", "nope"}, io.Discard, io.Discard,
		env); code != 2 {
		t.Errorf("healthcheck with a bad address: exit %d, want 2", code)
	}
}

// TestRunUsage checks the exit codes of usage errors and unwired commands.
func TestRunUsage(t *testing.T) {
	tests := []struct {
		args []string
		env  map[string]string
		want int
	}{
		{[]string{"nope"}, nil, 2},
		{[]string{"compare", "--no-such-flag"}, nil, 2},
		{[]string{"compare", "-workers", "0"}, nil, 2},
		{[]string{"compare", "-h"}, nil, 0},
		{[]string{"serve"}, map[string]string{"COUNTERLAB_RUN_MAX_WORKERS": "0"}, 2},
		{[]string{"help"}, nil, 0},
		{[]string{"serve", "--no-such-flag"}, nil, 2},
		{[]string{"serve", "-h"}, nil, 0},
		{[]string{"serve", "extra"}, nil, 2},
		{[]string{"--max-counter-value", "0"}, nil, 2},
		{[]string{"serve"}, map[string]string{"MAX_COUNTER_VALUE": "x"}, 2},
		{[]string{"serve"}, map[string]string{"USE_CONDITIONAL_WRITES": "maybe"}, 2},
		{[]string{"serve", "--log-format", "xml"}, nil, 2},
		{[]string{"serve"}, map[string]string{"COUNTERLAB_LOG_LEVEL": "loud"}, 2},
	}
	for _, tt := range tests {
		env := func(name string) string { return tt.env[name] }
		var stderr bytes.Buffer
		if got := run(context.Background(), tt.args, io.Discard, &stderr, env); got != tt.want {
			t.Errorf("run(%q, env %v) = %d, want %d; stderr %s", tt.args, tt.env, got, tt.want,
				stderr.String())
		}
	}
}

// TestServeFlags checks that a flag wins over its variable and that the
// variables still apply for flags not given.
func TestServeFlags(t *testing.T) {
	env := map[string]string{
		"REDIS_URL":              "redis://from-env:6379",
		"MAX_COUNTER_VALUE":      "5",
		"USE_CONDITIONAL_WRITES": "false",
		"DYNAMODB_TABLE":         "env-table",
	}
	getenv, _, err := parseServeFlags([]string{
		"--redis-url", "redis://from-flag:6379", "--use-conditional-writes",
		"--max-counter-value=7",
	}, io.Discard, func(name string) string { return env[name] })
	if err != nil {
		t.Fatalf("parseServeFlags: %v", err)
	}
	cfg, err := backends.LoadConfig(getenv)
	if err != nil {
		t.Fatalf("LoadConfig: %v", err)
	}
	if cfg.RedisURL != "redis://from-flag:6379" || !cfg.UseConditionalWrites ||
		cfg.MaxCounterValue != 7 || cfg.DynamoDBTable != "env-table" {
		t.Errorf("config %+v, want flags over env and env for the rest", cfg)
	}
}

// TestEmulatorCommand runs `counterlab emulator` until cancelled: it listens
// on the given address and stops with exit 0.
func TestEmulatorCommand(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"emulator", "--addr", addr}, io.Discard, io.Discard, noEnv)
	}()

	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the emulator did not listen on %s: %v", addr, err)
		}
		time.Sleep(50 * time.Millisecond)
	}

	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("emulator exit %d, want 0", code)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the emulator did not stop within 10s")
	}
}

// TestHelpNamesCommands checks that "counterlab -h", which shows serve's
// flags, also points to the other commands.
func TestHelpNamesCommands(t *testing.T) {
	var stderr bytes.Buffer
	env := func(string) string { return "" }
	if got := run(context.Background(), []string{"-h"}, io.Discard, &stderr, env); got != 0 {
		t.Fatalf("run(-h) = %d, want 0", got)
	}
	for _, want := range []string{"usage: counterlab serve", "emulator, compare, healthcheck"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("run(-h) printed %q, want it to contain %q", stderr.String(), want)
		}
	}
}
