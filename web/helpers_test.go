package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/backends/dynamodb"
	"github.com/counterlab/counterlab/backends/embedded"
	"github.com/counterlab/counterlab/backends/momento"
	"github.com/counterlab/counterlab/backends/redis"
)

// testServer is the real router over HTTP, in front of the three real
// backends on embedded targets, each reached through its client library.
type testServer struct {
	t       *testing.T
	url     string
	targets *embedded.Targets
	logs    *syncBuffer
}

// testOptions adjust a test server.
type testOptions struct {
	deps Deps
	// redisURL replaces the embedded miniredis when set.
	redisURL string
}

// newTestServer starts the targets, opens the backends and serves the
// router; everything is closed by t.Cleanup.
func newTestServer(t *testing.T, opts testOptions) *testServer {
	t.Helper()
	ctx := context.Background()
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	targets, err := embedded.Start(embedded.Options{
		Redis: opts.redisURL == "", DynamoDB: true, Momento: true,
	})
	if err != nil {
		t.Fatalf("start embedded targets: %v", err)
	}
	t.Cleanup(func() { _ = targets.Close() })

	redisURL, redisKind := opts.redisURL, backends.KindLocal
	if redisURL == "" {
		redisURL, redisKind = "redis://"+targets.RedisAddr, backends.KindEmbedded
	}
	rb, err := redis.New(ctx, redis.Options{URL: redisURL, KeyPrefix: "test:", Kind: redisKind,
		Logger: log})
	if err != nil {
		t.Fatalf("redis.New(%s): %v", redisURL, err)
	}
	db, err := dynamodb.New(ctx, dynamodb.Options{Endpoint: targets.DynamoDBURL,
		Region: "us-east-1", Table: "counterlab-test", Kind: backends.KindEmbedded, Logger: log})
	if err != nil {
		t.Fatalf("dynamodb.New(%s): %v", targets.DynamoDBURL, err)
	}
	mb, err := momento.New(ctx, momento.Options{Endpoint: targets.MomentoAddr,
		Cache: "counterlab-test", KeyPrefix: "test:", Kind: backends.KindEmbedded, Logger: log})
	if err != nil {
		t.Fatalf("momento.New(%s): %v", targets.MomentoAddr, err)
	}
	list := []backends.Backend{rb, db, mb}
	t.Cleanup(func() {
		for _, b := range list {
			_ = b.Close()
		}
	})

	deps := opts.deps
	deps.Backends = list
	deps.Logger = log
	srv := httptest.NewServer(NewRouter(deps))
	t.Cleanup(srv.Close)

	return &testServer{t: t, url: srv.URL, targets: targets, logs: logs}
}

// response is one answer, its body decoded when it is JSON.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// do sends one request; path is sent as written (percent-encoding kept).
func (s *testServer) do(method, path string, body io.Reader) response {
	s.t.Helper()
	req, err := http.NewRequest(method, s.url+path, body)
	if err != nil {
		s.t.Fatalf("new request %s %s: %v", method, path, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		s.t.Fatalf("%s %s: read body: %v", method, path, err)
	}

	r := response{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 && strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			s.t.Fatalf("%s %s: body %q is not a JSON object: %v", method, path, raw, err)
		}
	}
	return r
}

// want checks the status and, for an error, the error code.
func (r response) want(t *testing.T, what string, status int, code string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d, want %d (body %s)", what, r.status, status, r.raw)
	}
	if code == "" {
		return
	}
	if got := r.body["error"]; got != code {
		t.Fatalf("%s: error %v, want %q (body %s)", what, got, code, r.raw)
	}
	if msg, _ := r.body["message"].(string); msg == "" {
		t.Fatalf("%s: no message in error body %s", what, r.raw)
	}
}

// num reads a JSON number field as int64.
func (r response) num(t *testing.T, field string) int64 {
	t.Helper()
	f, ok := r.body[field].(float64)
	if !ok {
		t.Fatalf("field %q is %v (%T), want a number; body %s", field, r.body[field],
			r.body[field], r.raw)
	}
	return int64(f)
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// logLines returns the decoded JSON log lines whose msg is msg.
func (s *testServer) logLines(msg string) []map[string]any {
	s.t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s.logs.String()), "\n") {
		var m map[string]any
		if line == "" || json.Unmarshal([]byte(line), &m) != nil {
			continue
		}
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}
