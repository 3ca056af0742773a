package web

import (
	"bytes"
	"encoding/csv"
	"image/png"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/compare"
)

// TestRunEveryStrategy runs every strategy through the API on a contended
// hot counter. A delay on the emulator's conditional writes makes the
// clients of a read-then-write strategy all read the counter before any of
// them writes, so the published algorithm loses updates every time; every
// other strategy must stay correct, and never pass max.
func TestRunEveryStrategy(t *testing.T) {
	l := newLab(t, labOptions{})
	l.call("PUT", "/api/faults/momento", map[string]any{"operation": "set-if",
		"delayMs": 30}).expect(t, "PUT fault", http.StatusOK, nil)

	started := l.startRun(map[string]any{"workers": 6, "increments": 40, "keys": 1,
		"max": 25})
	if len(started.Results) != len(backends.Strategies) {
		t.Fatalf("got %d strategies, want all %d", len(started.Results),
			len(backends.Strategies))
	}
	s := l.waitRun(started.ID)
	if s.State != compare.StateDone || s.Percent != 100 || s.FinishedAt == nil {
		t.Fatalf("got state %s at %.0f%%, want done at 100%%", s.State, s.Percent)
	}

	for _, st := range backends.Strategies {
		name := st.Backend + "/" + st.ID
		r := resultByName(t, s, name)
		if r.Status != compare.StatusDone || r.Completed != 40 {
			t.Errorf("%s: got status %s after %d increments, want done after 40",
				name, r.Status, r.Completed)
		}
		if r.Latency.Count != 40 || r.Latency.P50 <= 0 || r.Throughput <= 0 {
			t.Errorf("%s: got latency %+v throughput %v", name, r.Latency, r.Throughput)
		}

		if !st.Correct {
			if r.Verdict.ID != compare.VerdictLostUpdates || r.Verdict.Evidence.Lost == 0 {
				t.Errorf("%s: got verdict %s (%s), want lost_updates", name,
					r.Verdict.ID, r.Verdict.Summary)
			}
			continue
		}
		if r.Verdict.ID != compare.VerdictCorrect {
			t.Errorf("%s: got verdict %s (%s), want correct", name, r.Verdict.ID,
				r.Verdict.Summary)
		}
		ok := r.Outcomes["ok"]
		if r.Final != ok {
			t.Errorf("%s: got final %d with %d acknowledged, want them equal", name,
				r.Final, ok)
		}
		if st.Conditional {
			// 40 increments against max 25: exactly 25 fit, the rest are
			// refused (or, for set-if-equal, may give up on conflicts).
			if r.Final != 25 || r.Max != 25 {
				t.Errorf("%s: got final %d max %d, want 25 and 25", name, r.Final, r.Max)
			}
			refused := r.Outcomes["limit_reached"] + r.Outcomes["conflict"]
			if ok+refused != 40 {
				t.Errorf("%s: got outcomes %v, want 25 ok and 15 refused", name, r.Outcomes)
			}
		} else if r.Final != 40 || ok != 40 {
			t.Errorf("%s: got final %d ok %d, want 40 and 40", name, r.Final, ok)
		}
	}

	// Under contention set-if-equal must retry. The retries show either in
	// the acknowledged increments (more than one attempt each, on average)
	// or in requests that ran out of attempts: a retrying client can keep
	// losing to fresh ones, so the winners may all have won at once.
	cas := resultByName(t, s, "momento/set-if-equal")
	retried := cas.Attempts > 1 && cas.RoundTrips > 2
	if !retried && cas.Outcomes["conflict"] == 0 {
		t.Errorf("set-if-equal: got %.2f attempts and %.2f round trips per increment "+
			"and no conflict, want retries", cas.Attempts, cas.RoundTrips)
	}
	if r := resultByName(t, s, "redis/incr"); r.RoundTrips != 1 || r.Attempts != 1 {
		t.Errorf("redis/incr: got %.2f round trips %.2f attempts, want 1 and 1",
			r.RoundTrips, r.Attempts)
	}
	if s.Targets["momento"].Kind != backends.KindEmbedded {
		t.Errorf("got targets %+v, want momento embedded", s.Targets)
	}
}

func TestRunEventsExportsAndCharts(t *testing.T) {
	l := newLab(t, labOptions{})
	s := l.startRun(map[string]any{"strategies": []string{"redis/incr", "dynamodb/add"},
		"workers": 3, "increments": 30})
	id := s.ID

	// The stream replays every event from the start and ends after the run.
	events := l.readEvents("/api/runs/"+id+"/events", nil)
	var types []string
	last := -1.0
	for i, e := range events {
		if e.id != strconv.Itoa(i) || e.data.Seq != i || e.event != e.data.Type {
			t.Errorf("event %d: got id %s seq %d type %s/%s", i, e.id, e.data.Seq,
				e.event, e.data.Type)
		}
		if e.data.Percent < last {
			t.Errorf("event %d: percent went back from %v to %v", i, last, e.data.Percent)
		}
		last = e.data.Percent
		if e.event != compare.EventProgress {
			types = append(types, e.event)
		}
	}
	want := []string{"run-started", "strategy-started", "strategy-finished",
		"strategy-started", "strategy-finished", "run-finished"}
	if strings.Join(types, ",") != strings.Join(want, ",") {
		t.Fatalf("got events %v, want %v", types, want)
	}
	fin := events[len(events)-1].data
	if fin.State != compare.StateDone || fin.Percent != 100 {
		t.Errorf("got last event %+v, want done at 100", fin)
	}

	// Resuming after an event sends only the later ones.
	rest := l.readEvents("/api/runs/"+id+"/events",
		http.Header{"Last-Event-ID": {strconv.Itoa(len(events) - 2)}})
	if len(rest) != 1 || rest[0].event != compare.EventRunFinished {
		t.Errorf("after Last-Event-ID: got %d events, want run-finished only", len(rest))
	}
	l.call("GET", "/api/runs/"+id+"/events?from=x", nil).
		expectError(t, "events from=x", http.StatusBadRequest, "invalid_input")

	// JSON export: the same run.
	r := l.call("GET", "/api/runs/"+id+"/export.json", nil)
	var exported compare.RunState
	r.expect(t, "export.json", http.StatusOK, &exported)
	if exported.ID != id || len(exported.Results) != 2 || exported.Results[1].Final != 30 {
		t.Errorf("export.json: got %+v", exported)
	}
	if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd,
		`filename="counterlab-run-`+id+`.json"`) {
		t.Errorf("export.json: got Content-Disposition %q", cd)
	}

	// CSV export: a header and one row per strategy.
	r = l.call("GET", "/api/runs/"+id+"/export.csv", nil)
	r.expect(t, "export.csv", http.StatusOK, nil)
	rows, err := csv.NewReader(bytes.NewReader(r.raw)).ReadAll()
	if err != nil || len(rows) != 3 || rows[0][0] != "run" || rows[2][2] != "add" {
		t.Errorf("export.csv: got %v, %v", rows, err)
	}

	// Charts, as SVG and PNG, light and dark.
	for _, name := range compare.Charts() {
		r := l.call("GET", "/api/runs/"+id+"/charts/"+name+".svg?theme=dark", nil)
		r.expect(t, name+".svg", http.StatusOK, nil)
		if ct := r.header.Get("Content-Type"); ct != "image/svg+xml" ||
			!bytes.Contains(r.raw, []byte("<svg")) {
			t.Errorf("%s.svg: got %s %.60q", name, ct, r.raw)
		}
		r = l.call("GET", "/api/runs/"+id+"/charts/"+name+".png", nil)
		r.expect(t, name+".png", http.StatusOK, nil)
		if _, err := png.Decode(bytes.NewReader(r.raw)); err != nil ||
			r.header.Get("Content-Type") != "image/png" {
			t.Errorf("%s.png: %v (%s)", name, err, r.header.Get("Content-Type"))
		}
	}
	for _, bad := range []string{"pie.svg", "latency.gif", "latency", "latency.svg?theme=x"} {
		l.call("GET", "/api/runs/"+id+"/charts/"+bad, nil).
			expectError(t, "chart "+bad, http.StatusBadRequest, "invalid_input")
	}

	// The list names the run.
	var list struct {
		Limits struct{ MaxWorkers int }
		Active *string
		Runs   []struct{ ID, State string }
	}
	l.call("GET", "/api/runs", nil).expect(t, "GET /api/runs", http.StatusOK, &list)
	if list.Limits.MaxWorkers != 256 || list.Active != nil || len(list.Runs) != 1 ||
		list.Runs[0].ID != id || list.Runs[0].State != compare.StateDone {
		t.Errorf("GET /api/runs: got %+v", list)
	}

	for _, p := range []string{"", "/events", "/export.json", "/export.csv",
		"/charts/latency.svg"} {
		l.call("GET", "/api/runs/nope"+p, nil).
			expectError(t, "unknown run"+p, http.StatusNotFound, "not_found")
	}
}

func TestRunBusyAndCancel(t *testing.T) {
	l := newLab(t, labOptions{})
	l.call("PUT", "/api/faults/momento", map[string]any{"operation": "increment",
		"delayMs": 20}).expect(t, "PUT fault", http.StatusOK, nil)

	spec := map[string]any{"strategies": []string{"momento/increment", "redis/incr"},
		"workers": 2, "increments": 100000}
	s := l.startRun(spec)

	body := l.call("POST", "/api/runs", spec).
		expectError(t, "second run", http.StatusConflict, "busy")
	if body["run"] != s.ID {
		t.Errorf("busy: got run %v, want %s", body["run"], s.ID)
	}

	time.Sleep(100 * time.Millisecond)
	var cancelled compare.RunState
	l.call("DELETE", "/api/runs/"+s.ID, nil).expect(t, "DELETE run", http.StatusOK, &cancelled)
	if cancelled.State != compare.StateCancelled {
		t.Fatalf("after DELETE: got state %s, want cancelled", cancelled.State)
	}
	first, second := cancelled.Results[0], cancelled.Results[1]
	if first.Status != compare.StatusCancelled || first.Completed == 0 ||
		first.Completed >= 100000 {
		t.Errorf("cancelled strategy: got %s after %d", first.Status, first.Completed)
	}
	if second.Status != compare.StatusSkipped || second.Completed != 0 {
		t.Errorf("strategy after the cancel: got %s after %d, want skipped", second.Status,
			second.Completed)
	}

	// Cancelling again changes nothing; a new run may start.
	var again compare.RunState
	l.call("DELETE", "/api/runs/"+s.ID, nil).expect(t, "DELETE again", http.StatusOK, &again)
	if again.State != compare.StateCancelled {
		t.Errorf("second DELETE: got %s", again.State)
	}
	l.call("DELETE", "/api/faults/momento", nil).expect(t, "clear fault", http.StatusNoContent, nil)
	next := l.startRun(map[string]any{"strategies": []string{"redis/incr"}, "workers": 1,
		"increments": 5})
	if r := l.waitRun(next.ID); r.Results[0].Final != 5 {
		t.Errorf("run after a cancel: got final %d, want 5", r.Results[0].Final)
	}
}

func TestRunLimits(t *testing.T) {
	l := newLab(t, labOptions{limits: compare.Limits{MaxWorkers: 8, MaxIncrements: 1000,
		MaxKeys: 10, MaxDuration: 700 * time.Millisecond}})

	tests := []struct {
		name   string
		body   any
		status int
		code   string
	}{
		{"too many workers", map[string]any{"workers": 9}, 400, "invalid_input"},
		{"negative workers", map[string]any{"workers": -1}, 400, "invalid_input"},
		{"too many increments", map[string]any{"increments": 1001}, 400, "invalid_input"},
		{"too many keys", map[string]any{"keys": 11}, 400, "invalid_input"},
		{"too long", map[string]any{"durationSeconds": 1}, 400, "invalid_input"},
		{"negative duration", map[string]any{"durationSeconds": -1}, 400, "invalid_input"},
		{"conditional without max", map[string]any{"strategies": []string{"redis/lua"}},
			400, "invalid_input"},
		{"unknown strategy", map[string]any{"strategies": []string{"redis/decr"}},
			400, "invalid_input"},
		{"not backend/strategy", map[string]any{"strategies": []string{"incr"}},
			400, "invalid_input"},
		{"unknown backend", map[string]any{"strategies": []string{"mongo/inc"}},
			404, "unknown_backend"},
		{"unknown field", map[string]any{"threads": 4}, 400, "invalid_input"},
		{"not JSON", "{", 400, "invalid_input"},
		{"too large", `{"strategies":["` + strings.Repeat("x", MaxBodyBytes) + `"]}`,
			413, "body_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l.call("POST", "/api/runs", tt.body).expectError(t, tt.name, tt.status, tt.code)
		})
	}

	var list struct{ Limits map[string]float64 }
	l.call("GET", "/api/runs", nil).expect(t, "GET /api/runs", http.StatusOK, &list)
	if list.Limits["maxWorkers"] != 8 || list.Limits["maxDurationSeconds"] != 0.7 {
		t.Errorf("got limits %v", list.Limits)
	}

	// The run's time limit stops a slow workload: what was done is judged.
	l.call("PUT", "/api/faults/redis", map[string]any{"delayMs": 20}).
		expect(t, "PUT fault", http.StatusOK, nil)
	s := l.waitRun(l.startRun(map[string]any{"strategies": []string{"redis/incr"},
		"workers": 2, "increments": 1000}).ID)
	r := s.Results[0]
	if !r.StoppedEarly || r.Completed == 0 || r.Completed >= 1000 {
		t.Errorf("got stopped early %v after %d increments, want stopped before 1000",
			r.StoppedEarly, r.Completed)
	}
	if r.Verdict.ID != compare.VerdictCorrect || r.Final != r.Completed {
		t.Errorf("got verdict %s final %d after %d", r.Verdict.ID, r.Final, r.Completed)
	}
}

// TestRunUnderFaults fails a share of the emulator's increments with an
// error that leaves their outcome unknown to the client: the checker can
// only say inconclusive, with the bound holding.
func TestRunUnderFaults(t *testing.T) {
	l := newLab(t, labOptions{})
	l.call("PUT", "/api/faults/momento", map[string]any{"operation": "increment",
		"failShare": 0.3, "failure": "deadline-exceeded"}).expect(t, "PUT fault", 200, nil)

	s := l.waitRun(l.startRun(map[string]any{"strategies": []string{"momento/increment"},
		"workers": 4, "increments": 100}).ID)
	r := s.Results[0]
	ev := r.Verdict.Evidence
	if r.Outcomes["outcome_unknown"] == 0 || ev.Unknown != r.Outcomes["outcome_unknown"] {
		t.Fatalf("got outcomes %v evidence %+v, want unknown outcomes", r.Outcomes, ev)
	}
	if r.Verdict.ID != compare.VerdictInconclusive || !ev.BoundHolds {
		t.Errorf("got verdict %s (%s), want inconclusive with the bound holding",
			r.Verdict.ID, r.Verdict.Summary)
	}
	if !strings.Contains(r.Verdict.Summary, "holds") || len(r.Errors) == 0 {
		t.Errorf("got summary %q errors %v", r.Verdict.Summary, r.Errors)
	}
}

// TestRunBodyStrict checks the rules of a run request's body: one JSON
// object, exact-case known fields each given once, no null, explicit values
// in range, and messages that name the field and no Go type.
func TestRunBodyStrict(t *testing.T) {
	l := newLab(t, labOptions{limits: compare.Limits{MaxWorkers: 8, MaxIncrements: 1000,
		MaxKeys: 10, MaxDuration: 60 * time.Second}})

	tests := []struct {
		name, body string
		field      string // the field in the details; empty for none
		message    string // a part of the message
	}{
		{"null", `null`, "", "one JSON object, got null"},
		{"a list", `[]`, "", "one JSON object, got []"},
		{"a number", `5`, "", "one JSON object, got 5"},
		{"wrong case", `{"Workers":5}`, "Workers", `did you mean "workers"`},
		{"unknown", `{"threads":4}`, "threads", `unknown field "threads"`},
		{"duplicate", `{"workers":2,"workers":3}`, "workers", "more than once"},
		{"workers 0", `{"workers":0}`, "workers", `field "workers": want 1 to 8, got 0`},
		{"increments 0", `{"increments":0}`, "increments", `field "increments": want 1 to`},
		{"keys 0", `{"keys":0}`, "keys", `field "keys": want 1 to 10, got 0`},
		{"workers too many", `{"workers":9}`, "workers", `want 1 to 8, got 9`},
		{"empty strategies", `{"strategies":[]}`, "strategies", "at least one strategy"},
		{"null field", `{"workers":null}`, "workers", `field "workers": want an integer, got null`},
		{"fraction", `{"max":1.5}`, "max", `field "max": want an integer, got 1.5`},
		{"string", `{"workers":"2"}`, "workers", `field "workers": want an integer, got "2"`},
		{"strategies not a list", `{"strategies":"redis/incr"}`, "strategies",
			`field "strategies": want a list of strings, got "redis/incr"`},
		{"strategy not a string", `{"strategies":[1]}`, "strategies",
			`field "strategies": want a list of strings, got [1]`},
		{"negative max", `{"max":-1}`, "max", `field "max": want 0`},
		{"duration too long", `{"durationSeconds":61}`, "durationSeconds",
			`field "durationSeconds": want 0 (no cap) to 60, got 61`},
		{"two values", `{} {}`, "", "more than one JSON value"},
		{"truncated", `{"workers":`, "", "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := l.call("POST", "/api/runs", tt.body).
				expectError(t, tt.name, http.StatusBadRequest, "invalid_input")
			msg, _ := body["message"].(string)
			if !strings.Contains(msg, tt.message) {
				t.Errorf("got message %q, want it to hold %q", msg, tt.message)
			}
			for _, goName := range []string{"SpecJSON", "runRequest", "compare.", "int64",
				"float64", "Go value", "[]"} {
				if goName == "[]" && tt.name == "a list" {
					continue
				}
				if strings.Contains(msg, goName) {
					t.Errorf("message %q shows the Go name %q", msg, goName)
				}
			}
			if got, _ := body["field"].(string); got != tt.field {
				t.Errorf("got field %q, want %q", got, tt.field)
			}
		})
	}

	// Fields left out take the defaults; an empty body is no body.
	for _, body := range []string{"", `{"strategies":["redis/incr"]}`} {
		r := l.call("POST", "/api/runs", body)
		var s compare.RunState
		r.expect(t, "POST /api/runs "+body, http.StatusAccepted, &s)
		if s.Spec.Workers != 8 || s.Spec.Increments != 1000 || s.Spec.Keys != 1 {
			t.Errorf("body %q: got spec %+v, want the defaults 8, 1000, 1", body, s.Spec)
		}
		l.waitRun(s.ID)
	}
}
