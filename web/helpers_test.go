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
	logs := &syncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	targets, list := startBackends(t, opts.redisURL, log)

	deps := opts.deps
	deps.Backends = list
	deps.Logger = log
	srv := httptest.NewServer(NewRouter(deps))
	t.Cleanup(srv.Close)

	return &testServer{t: t, url: srv.URL, targets: targets, logs: logs}
}

// startBackends starts the embedded targets (Redis only when redisURL is
// empty) and opens the three real backends on them, logging to log. It
// returns the targets and the backends in display order; t.Cleanup closes
// everything.
func startBackends(
	t *testing.T, redisURL string, log *slog.Logger,
) (*embedded.Targets, []backends.Backend) {
	t.Helper()
	ctx := context.Background()
	targets, err := embedded.Start(embedded.Options{
		Redis: redisURL == "", DynamoDB: true, Momento: true,
	})
	if err != nil {
		t.Fatalf("start embedded targets: %v", err)
	}
	t.Cleanup(func() { _ = targets.Close() })

	redisKind := backends.KindLocal
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
	return targets, list
}

// response is one answer; body is decoded by testServer.do when the answer
// is JSON.
type response struct {
	status int
	header http.Header
	raw    []byte
	body   map[string]any
}

// send sends one request to url and reads the whole answer. A header of
// the request may be set; the path in url is sent as written.
func send(t *testing.T, method, url string, body io.Reader, header http.Header) response {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatalf("new request %s %s: %v", method, url, err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, raw: raw}
}

// do sends one request; path is sent as written (percent-encoding kept).
// A JSON answer must be a JSON object.
func (s *testServer) do(method, path string, body io.Reader) response {
	s.t.Helper()
	r := send(s.t, method, s.url+path, body, nil)
	ct := r.header.Get("Content-Type")
	if len(r.raw) > 0 && strings.HasPrefix(ct, "application/json") {
		if err := json.Unmarshal(r.raw, &r.body); err != nil {
			s.t.Fatalf("%s %s: body %q is not a JSON object: %v", method, path, r.raw, err)
		}
	}
	return r
}

// want checks the status and, for an error, the error code and a message.
func (r response) want(t *testing.T, what string, status int, code string) {
	t.Helper()
	if code == "" {
		r.expect(t, what, status, nil)
		return
	}
	r.expectError(t, what, status, code)
}

// expect checks the status and decodes the body into out, if given.
func (r response) expect(t *testing.T, what string, status int, out any) {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: got status %d, want %d (body %s)", what, r.status, status, r.raw)
	}
	if out != nil {
		if err := json.Unmarshal(r.raw, out); err != nil {
			t.Fatalf("%s: body %s: %v", what, r.raw, err)
		}
	}
}

// expectError checks an error answer: status, code and a message. It
// returns the body.
func (r response) expectError(
	t *testing.T, what string, status int, code string,
) map[string]any {
	t.Helper()
	var body map[string]any
	r.expect(t, what, status, &body)
	if body["error"] != code {
		t.Fatalf("%s: got error %v, want %s (body %s)", what, body["error"], code, r.raw)
	}
	if msg, _ := body["message"].(string); msg == "" {
		t.Fatalf("%s: no message in error body %s", what, r.raw)
	}
	return body
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
