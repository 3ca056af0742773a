package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/alicebob/miniredis/v2"
)

func TestFaultsAPI(t *testing.T) {
	l := newLab(t, labOptions{})

	var list struct {
		Backends []faultInfo `json:"backends"`
	}
	l.call("GET", "/api/faults", nil).expect(t, "GET /api/faults", http.StatusOK, &list)
	if len(list.Backends) != 3 {
		t.Fatalf("got %d backends, want 3", len(list.Backends))
	}
	for _, b := range list.Backends {
		if !b.Embedded || b.Fault != nil || len(b.Failures) == 0 || len(b.Operations) == 0 {
			t.Errorf("%s: got %+v, want embedded, no fault, choices listed", b.Backend, b)
		}
	}

	// A refused increment on Redis answers 503 and leaves nothing behind.
	var info faultInfo
	l.call("PUT", "/api/faults/redis", map[string]any{"operation": "incr", "failShare": 1,
		"failure": "refuse"}).expect(t, "PUT redis fault", http.StatusOK, &info)
	if info.Fault == nil || info.Fault.Operation != "INCR" || info.Fault.FailShare != 1 {
		t.Errorf("PUT answer: got %+v", info.Fault)
	}
	l.call("POST", "/api/counters/redis/f/increment", nil).
		expectError(t, "increment under a fault", http.StatusServiceUnavailable, "unavailable")

	l.call("GET", "/api/faults", nil).expect(t, "GET /api/faults", http.StatusOK, &list)
	if f := list.Backends[0].Fault; list.Backends[0].Backend != "redis" || f == nil ||
		f.Failure != "refuse" {
		t.Errorf("GET after PUT: got %+v", list.Backends[0])
	}

	l.call("DELETE", "/api/faults/redis", nil).expect(t, "DELETE fault", http.StatusNoContent, nil)
	var inc struct{ Value int64 }
	l.call("POST", "/api/counters/redis/f/increment", nil).
		expect(t, "increment after clearing", http.StatusOK, &inc)
	if inc.Value != 1 {
		t.Errorf("got value %d, want 1: the refused increment must not count", inc.Value)
	}

	// A delay on DynamoDB shows in the answer; DELETE /api/faults clears all.
	l.call("PUT", "/api/faults/dynamodb", map[string]any{"delayMs": 40}).
		expect(t, "PUT dynamodb delay", http.StatusOK, nil)
	var timed struct{ ElapsedMs float64 }
	l.call("POST", "/api/counters/dynamodb/f/increment", nil).
		expect(t, "slow increment", http.StatusOK, &timed)
	if timed.ElapsedMs < 40 {
		t.Errorf("got %.1f ms under a 40 ms delay, want at least 40", timed.ElapsedMs)
	}
	l.call("DELETE", "/api/faults", nil).expect(t, "DELETE all", http.StatusNoContent, nil)
	l.call("GET", "/api/faults", nil).expect(t, "GET /api/faults", http.StatusOK, &list)
	for _, b := range list.Backends {
		if b.Fault != nil {
			t.Errorf("%s: fault %+v left after DELETE /api/faults", b.Backend, b.Fault)
		}
	}

	tests := []struct {
		name, path string
		body       any
		status     int
		code       string
	}{
		{"nothing to do", "/api/faults/redis", map[string]any{}, 400, "invalid_input"},
		{"share above 1", "/api/faults/redis", map[string]any{"failShare": 2}, 400,
			"invalid_input"},
		{"delay too long", "/api/faults/redis", map[string]any{"delayMs": 60000}, 400,
			"invalid_input"},
		{"negative delay", "/api/faults/redis", map[string]any{"delayMs": -5}, 400,
			"invalid_input"},
		{"failure of another backend", "/api/faults/momento",
			map[string]any{"failShare": 1, "failure": "throttle"}, 400, "invalid_input"},
		{"unknown RPC", "/api/faults/momento",
			map[string]any{"failShare": 1, "operation": "teleport"}, 400, "invalid_input"},
		{"unknown field", "/api/faults/redis", map[string]any{"latency": 5}, 400,
			"invalid_input"},
		{"unknown backend", "/api/faults/mongo", map[string]any{"delayMs": 5}, 404,
			"unknown_backend"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l.call("PUT", tt.path, tt.body).expectError(t, tt.name, tt.status, tt.code)
		})
	}
}

// TestFaultsRefusedOnConfiguredTargets points Redis at a server the
// process did not start: faults on it are refused.
func TestFaultsRefusedOnConfiguredTargets(t *testing.T) {
	m := miniredis.RunT(t)
	l := newLab(t, labOptions{redisURL: "redis://" + m.Addr()})

	l.call("PUT", "/api/faults/redis", map[string]any{"delayMs": 5}).
		expectError(t, "PUT on a configured target", http.StatusConflict, "not_embedded")
	l.call("DELETE", "/api/faults/redis", nil).
		expectError(t, "DELETE on a configured target", http.StatusConflict, "not_embedded")

	var list struct {
		Backends []faultInfo `json:"backends"`
	}
	l.call("GET", "/api/faults", nil).expect(t, "GET /api/faults", http.StatusOK, &list)
	if list.Backends[0].Embedded || !list.Backends[1].Embedded {
		t.Errorf("got %+v, want redis not embedded, dynamodb embedded", list.Backends)
	}
	// Clearing every fault skips the configured target.
	l.call("DELETE", "/api/faults", nil).expect(t, "DELETE all", http.StatusNoContent, nil)
}

// TestFaultBodyStrict checks that a fault's body follows the same rules as
// a run's: one JSON object, exact-case known fields once each, no null.
func TestFaultBodyStrict(t *testing.T) {
	l := newLab(t, labOptions{})
	tests := []struct {
		name, body, field, message string
	}{
		{"null", `null`, "", "one JSON object, got null"},
		{"wrong case", `{"DelayMs":5}`, "DelayMs", `did you mean "delayMs"`},
		{"duplicate", `{"delayMs":5,"delayMs":6}`, "delayMs", "more than once"},
		{"null field", `{"delayMs":null}`, "delayMs", `field "delayMs": want a number, got null`},
		{"string", `{"delayMs":"5"}`, "delayMs", `field "delayMs": want a number, got "5"`},
		{"number as operation", `{"failShare":1,"operation":3}`, "operation",
			`field "operation": want a string, got 3`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := l.call("PUT", "/api/faults/redis", tt.body).
				expectError(t, tt.name, http.StatusBadRequest, "invalid_input")
			msg, _ := body["message"].(string)
			if !strings.Contains(msg, tt.message) || strings.Contains(msg, "faultJSON") ||
				strings.Contains(msg, "float64") {
				t.Errorf("got message %q, want it to hold %q and no Go name", msg, tt.message)
			}
			if got, _ := body["field"].(string); got != tt.field {
				t.Errorf("got field %q, want %q", got, tt.field)
			}
		})
	}
	var list struct {
		Backends []faultInfo `json:"backends"`
	}
	l.call("GET", "/api/faults", nil).expect(t, "GET /api/faults", http.StatusOK, &list)
	if list.Backends[0].Fault != nil {
		t.Errorf("got fault %+v set by a refused body", list.Backends[0].Fault)
	}
}
