package web

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// metricValue finds one sample in the Prometheus text format: the metric
// name and label pairs given must all appear on its line.
func metricValue(t *testing.T, text, name string, labels ...string) float64 {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, name+"{") {
			continue
		}
		ok := true
		for _, l := range labels {
			ok = ok && strings.Contains(line, l)
		}
		if !ok {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		return v
	}
	t.Fatalf("no sample %s with %v in:\n%s", name, labels, text)
	return 0
}

func TestMetrics(t *testing.T) {
	l := newLab(t, labOptions{})

	for range 3 {
		l.call("POST", "/api/counters/momento/m/increment?strategy=set-if-equal&max=10", nil).
			expect(t, "increment", http.StatusOK, nil)
	}
	l.call("POST", "/api/counters/nosuch/m/increment", nil).
		expectError(t, "unknown backend", http.StatusNotFound, "unknown_backend")
	s := l.waitRun(l.startRun(map[string]any{"strategies": []string{"redis/lua"},
		"workers": 2, "increments": 12, "max": 5}).ID)
	if s.Results[0].Final != 5 {
		t.Fatalf("got final %d, want 5", s.Results[0].Final)
	}

	r := l.call("GET", "/metrics", nil)
	r.expect(t, "GET /metrics", http.StatusOK, nil)
	text := string(r.raw)

	route := `route="/api/counters/:backend/:id/increment"`
	if got := metricValue(t, text, "counterlab_http_requests_total", route,
		`backend="momento"`, `strategy="set-if-equal"`, `status="200"`); got != 3 {
		t.Errorf("got %v momento increments counted, want 3", got)
	}
	// An unknown backend does not become a label value.
	if strings.Contains(text, "nosuch") {
		t.Error("an unknown backend name appears in the metrics")
	}
	if got := metricValue(t, text, "counterlab_http_requests_total", route,
		`backend=""`, `status="404"`); got != 1 {
		t.Errorf("got %v unknown-backend requests, want 1", got)
	}
	if got := metricValue(t, text, "counterlab_http_request_duration_seconds_count", route,
		`backend="momento"`, `strategy="set-if-equal"`); got != 3 {
		t.Errorf("got %v latency samples, want 3", got)
	}

	if got := metricValue(t, text, "counterlab_run_increments_total", `backend="redis"`,
		`strategy="lua"`, `outcome="ok"`); got != 5 {
		t.Errorf("got %v ok run increments, want 5", got)
	}
	if got := metricValue(t, text, "counterlab_run_increments_total", `backend="redis"`,
		`strategy="lua"`, `outcome="limit_reached"`); got != 7 {
		t.Errorf("got %v limit_reached run increments, want 7", got)
	}
	if got := metricValue(t, text, "counterlab_run_increment_duration_seconds_count",
		`backend="redis"`, `strategy="lua"`); got != 12 {
		t.Errorf("got %v run latency samples, want 12", got)
	}
	if !regexp.MustCompile(`(?m)^counterlab_runs_started_total 1$`).MatchString(text) {
		t.Error("got no counterlab_runs_started_total 1, want one run counted")
	}
	if !regexp.MustCompile(`(?m)^go_goroutines \d+`).MatchString(text) {
		t.Error("no Go runtime metrics")
	}
}

// TestMetricsMethodLabel checks that a method outside the standard set is
// counted as "other", so that clients cannot grow the series with made-up
// methods.
func TestMetricsMethodLabel(t *testing.T) {
	s := newTestServer(t, testOptions{})
	long := strings.Repeat("X", 4000)
	for _, m := range []string{"M123", "M124", long} {
		r := s.do(m, "/api/backends", nil)
		if r.status != http.StatusMethodNotAllowed {
			t.Errorf("%.10s /api/backends: got status %d, want 405", m, r.status)
		}
	}
	s.do("GET", "/api/backends", nil).want(t, "GET /api/backends", http.StatusOK, "")

	text := string(s.do("GET", "/metrics", nil).raw)
	for _, m := range []string{"M123", "M124", "XXXX"} {
		if strings.Contains(text, m) {
			t.Errorf("method %.10s appears in the metrics", m)
		}
	}
	if got := metricValue(t, text, "counterlab_http_requests_total",
		`method="other"`, `status="405"`); got != 3 {
		t.Errorf("got %v requests with method other, want 3", got)
	}
	if got := metricValue(t, text, "counterlab_http_requests_total",
		`route="/api/backends"`, `method="GET"`, `status="200"`); got != 1 {
		t.Errorf("got %v GET /api/backends, want 1", got)
	}
}
