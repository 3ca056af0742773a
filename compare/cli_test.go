package compare

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/emulator"
)

// cliBackends returns an opener of Redis on miniredis and Momento on the
// emulator.
func cliBackends(t *testing.T) (Opener, *emulator.Server) {
	t.Helper()
	r, _ := redisOnMiniredis(t)
	m, srv := momentoOnEmulator(t)
	open := func(context.Context) ([]backends.Backend, func() error, error) {
		return []backends.Backend{r, m}, func() error { return nil }, nil
	}
	return open, srv
}

func TestMainTable(t *testing.T) {
	bs, _ := cliBackends(t)
	var out, errOut bytes.Buffer
	err := Main(context.Background(), []string{"-workers", "4", "-increments", "40",
		"-max", "30"}, bs, &out, &errOut)
	if err != nil {
		t.Fatalf("Main: %v\nstderr: %s", err, errOut.String())
	}

	// Every strategy of the two backends, conditional ones included.
	for _, name := range []string{"redis/incr", "redis/lua", "momento/increment",
		"momento/set-if-present-and-not-equal", "momento/set-if-equal"} {
		if !strings.Contains(out.String(), name) {
			t.Errorf("table does not show %s:\n%s", name, out.String())
		}
	}
	if !strings.Contains(out.String(), "redis/lua: correct: 30 acknowledged increment(s), "+
		"final value 30, never past max 30") {
		t.Errorf("table does not give lua's verdict in words:\n%s", out.String())
	}
	for _, want := range []string{"redis/incr: running", "redis/incr: correct",
		"embedded redis://127.0.0.1:"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr does not say %q:\n%s", want, errOut.String())
		}
	}
}

func TestMainJSONAndCharts(t *testing.T) {
	bs, _ := cliBackends(t)
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	err := Main(context.Background(), []string{"-format", "json", "-quiet",
		"-strategies", "redis/incr,momento/set-if-equal", "-workers", "3",
		"-increments", "25", "-keys", "2", "-max", "5", "-charts", dir}, bs, &out, &errOut)
	if err != nil {
		t.Fatalf("Main: %v\nstderr: %s", err, errOut.String())
	}
	if errOut.Len() != 0 {
		t.Errorf("got stderr %q with -quiet, want nothing", errOut.String())
	}

	var s RunState
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	if len(s.Results) != 2 || s.State != StateDone {
		t.Fatalf("got %d results in state %s, want 2 done", len(s.Results), s.State)
	}
	incr, cas := s.Results[0], s.Results[1]
	if incr.Final != 25 || incr.Verdict.ID != VerdictCorrect {
		t.Errorf("incr: got final %d verdict %s, want 25 correct", incr.Final, incr.Verdict.ID)
	}
	// Two counters, max 5 each: ten increments fit.
	if cas.Final != 10 || cas.Outcomes["ok"] != 10 || cas.Verdict.ID != VerdictCorrect {
		t.Errorf("set-if-equal: got final %d ok %d verdict %s, want 10 10 correct",
			cas.Final, cas.Outcomes["ok"], cas.Verdict.ID)
	}
	if s.Spec.Keys != 2 || s.Targets["momento"].Kind != backends.KindEmbedded {
		t.Errorf("got spec %+v targets %+v", s.Spec, s.Targets)
	}

	for _, name := range Charts() {
		for _, ext := range []string{".svg", ".png"} {
			fi, err := os.Stat(filepath.Join(dir, name+ext))
			if err != nil || fi.Size() == 0 {
				t.Errorf("chart %s%s: %v", name, ext, err)
			}
		}
	}
}

func TestMainMarkdownAndCSV(t *testing.T) {
	bs, _ := cliBackends(t)
	args := []string{"-quiet", "-strategies", "redis/lua", "-workers", "2",
		"-increments", "10", "-max", "4"}

	var md bytes.Buffer
	if err := Main(context.Background(), append(args, "-format", "markdown"), bs,
		&md, &bytes.Buffer{}); err != nil {
		t.Fatalf("Main markdown: %v", err)
	}
	if !strings.Contains(md.String(), "| strategy | ops/s |") ||
		!strings.Contains(md.String(), "| `redis/lua` |") ||
		!strings.Contains(md.String(), "- redis/lua: correct") {
		t.Errorf("got Markdown:\n%s", md.String())
	}

	var c bytes.Buffer
	if err := Main(context.Background(), append(args, "-format", "csv"), bs,
		&c, &bytes.Buffer{}); err != nil {
		t.Fatalf("Main csv: %v", err)
	}
	rows, err := csv.NewReader(&c).ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("got CSV %v, %v, want a header and one row", rows, err)
	}
	col := map[string]string{}
	for i, h := range rows[0] {
		col[h] = rows[1][i]
	}
	if col["strategy"] != "lua" || col["final"] != "4" || col["limit_reached"] != "6" ||
		col["verdict"] != "correct" || col["max"] != "4" {
		t.Errorf("got row %v", col)
	}
}

func TestMainStrictAndBadFlags(t *testing.T) {
	bs, srv := cliBackends(t)
	srv.AddFault(emulator.Fault{RPC: "set-if", Delay: 30 * time.Millisecond})

	err := Main(context.Background(), []string{"-quiet", "-strict", "-strategies",
		"momento/set-if-present-and-not-equal,redis/incr", "-workers", "6",
		"-increments", "24", "-max", "100"}, bs, &bytes.Buffer{}, &bytes.Buffer{})
	if err != nil {
		t.Errorf("-strict with only the published algorithm losing: got %v, want nil", err)
	}

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad format", []string{"-format", "yaml"}, "-format"},
		{"bad strategy", []string{"-strategies", "redis"}, "backend/strategy"},
		{"unknown strategy", []string{"-strategies", "redis/decr"}, "no strategy"},
		{"bad workload", []string{"-workers", "0"}, "workers"},
		{"argument", []string{"extra"}, "no arguments"},
		{"unknown flag", []string{"-threads", "3"}, "threads"},
		{"negative run time", []string{"-max-run-time", "-5s"}, "-max-run-time"},
		{"zero run time", []string{"-max-run-time", "0s"}, "-max-run-time"},
		{"run time too long", []string{"-max-run-time", "100h"}, "at most 24h"},
	}
	for _, tt := range tests {
		err := Main(context.Background(), tt.args, bs, &bytes.Buffer{}, &bytes.Buffer{})
		if !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want a usage error about %s", tt.name, err, tt.want)
		}
	}
	var help bytes.Buffer
	err = Main(context.Background(), []string{"-h"}, bs, &bytes.Buffer{}, &help)
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(help.String(), "momento/set-if-equal") {
		t.Errorf("-h: got %v and %q, want flag.ErrHelp and the strategies", err, help.String())
	}
}

func TestMainCancelled(t *testing.T) {
	bs, srv := cliBackends(t)
	srv.AddFault(emulator.Fault{RPC: "increment", Delay: 20 * time.Millisecond})

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var out bytes.Buffer
	err := Main(ctx, []string{"-quiet", "-strategies", "momento/increment,redis/incr",
		"-workers", "2", "-increments", "100000", "-max", "0"}, bs, &out, &bytes.Buffer{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want a cancelled run", err)
	}
	if !strings.Contains(out.String(), "cancelled; the results are partial") ||
		!strings.Contains(out.String(), "redis/incr: not run") {
		t.Errorf("got output:\n%s", out.String())
	}
}

func TestMainCancelCountsOnlyWhatRan(t *testing.T) {
	bs, _ := cliBackends(t)

	const workers, total = 64, 1_000_000
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	var out, errOut bytes.Buffer
	err := Main(ctx, []string{"-quiet", "-format", "json", "-strategies", "redis/incr",
		"-workers", "64", "-increments", "1000000", "-max", "0"}, bs, &out, &errOut)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want a cancelled run\nstderr: %s", err, errOut.String())
	}

	var s RunState
	if err := json.Unmarshal(out.Bytes(), &s); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out.String())
	}
	checkCancelled(t, resultOf(t, s, "redis/incr"), workers, total)
}

func TestMainTargetsInStrategyOrder(t *testing.T) {
	bs, _ := cliBackends(t)

	var errOut bytes.Buffer
	err := Main(context.Background(), []string{"-strategies", "momento/increment,redis/incr",
		"-workers", "1", "-increments", "2", "-max", "0"}, bs, &bytes.Buffer{}, &errOut)
	if err != nil {
		t.Fatalf("Main: %v\nstderr: %s", err, errOut.String())
	}
	r := strings.Index(errOut.String(), "redis ")
	m := strings.Index(errOut.String(), "momento ")
	if r < 0 || m < 0 || r > m {
		t.Errorf("got stderr:\n%s\nwant the redis target listed before momento", errOut.String())
	}
}
