package web

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/counterlab/counterlab/backends/embedded"
	"github.com/counterlab/counterlab/compare"
)

// lab is the real router, with runs and faults wired, over HTTP in front
// of the three backends on embedded targets.
type lab struct {
	t       *testing.T
	url     string
	targets *embedded.Targets
	router  http.Handler
}

// labOptions adjust a lab.
type labOptions struct {
	limits compare.Limits
	// redisURL points Redis at a target that is not embedded.
	redisURL string
}

var quietLog = slog.New(slog.DiscardHandler)

// newLab starts everything; t.Cleanup stops it.
func newLab(t *testing.T, opts labOptions) *lab {
	t.Helper()
	targets, list := startBackends(t, opts.redisURL, quietLog)
	for _, b := range list {
		if err := b.Health(context.Background()); err != nil {
			t.Fatalf("%s health: %v", b.Name(), err)
		}
	}

	stopping := make(chan struct{})
	router := NewRouter(Deps{Backends: list, Logger: quietLog, RunLimits: opts.limits,
		Embedded: targets, Stopping: stopping})
	srv := httptest.NewServer(router)
	// Closing stopping first ends event streams and cancels a run going.
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(stopping) })
	return &lab{t: t, url: srv.URL, targets: targets, router: router}
}

// call sends a request with an optional JSON body: a string as written,
// anything else marshalled.
func (l *lab) call(method, path string, body any) response {
	l.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			l.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	var header http.Header
	if rd != nil {
		header = http.Header{"Content-Type": {"application/json"}}
	}
	return send(l.t, method, l.url+path, rd, header)
}

// startRun posts a run and returns its state.
func (l *lab) startRun(spec map[string]any) compare.RunState {
	l.t.Helper()
	var s compare.RunState
	l.call("POST", "/api/runs", spec).expect(l.t, "POST /api/runs", http.StatusAccepted, &s)
	if s.ID == "" || s.State != compare.StateRunning {
		l.t.Fatalf("started run: got %+v", s)
	}
	return s
}

// waitRun polls a run until it ends.
func (l *lab) waitRun(id string) compare.RunState {
	l.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var s compare.RunState
		l.call("GET", "/api/runs/"+id, nil).expect(l.t, "GET run", http.StatusOK, &s)
		if s.State != compare.StateRunning {
			return s
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("run %s still going after 60s: %.0f%%", id, s.Percent)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// sseEvent is one server-sent event as read from the stream.
type sseEvent struct {
	id, event string
	data      compare.Event
}

// readEvents reads a run's event stream until the server ends it.
func (l *lab) readEvents(path string, header http.Header) []sseEvent {
	l.t.Helper()
	req, err := http.NewRequest("GET", l.url+path, nil)
	if err != nil {
		l.t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		l.t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 ||
		!strings.HasPrefix(ct, "text/event-stream") {
		l.t.Fatalf("GET %s: got %d %s, want 200 text/event-stream", path, resp.StatusCode, ct)
	}

	var out []sseEvent
	var cur sseEvent
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			if cur.event != "" {
				out = append(out, cur)
			}
			cur = sseEvent{}
		case strings.HasPrefix(line, "id: "):
			cur.id = strings.TrimPrefix(line, "id: ")
		case strings.HasPrefix(line, "event: "):
			cur.event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")),
				&cur.data); err != nil {
				l.t.Fatalf("event data %q: %v", line, err)
			}
		}
	}
	if err := sc.Err(); err != nil {
		l.t.Fatalf("read events: %v", err)
	}
	return out
}

// resultByName finds a strategy's result in a run.
func resultByName(t *testing.T, s compare.RunState, name string) compare.Result {
	t.Helper()
	for _, r := range s.Results {
		if r.Ref().String() == name {
			return r
		}
	}
	t.Fatalf("run %s has no result for %s", s.ID, name)
	return compare.Result{}
}

// jsonOf returns v as JSON text.
func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
