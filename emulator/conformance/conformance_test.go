package conformance_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/counterlab/counterlab/emulator"
	"github.com/counterlab/counterlab/emulator/conformance"
)

// childVar makes the test binary run the standalone emulator command
// (emulator.Main) instead of the tests; its value is the command's
// arguments, separated by spaces.
const childVar = "COUNTERLAB_CONFORMANCE_EMULATOR_ARGS"

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(childVar); ok {
		os.Exit(runChild(strings.Fields(args)))
	}
	os.Exit(m.Run())
}

func runChild(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := emulator.Main(ctx, args, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "counterlab emulator: %v\n", err)
		return 1
	}
	return 0
}

// TestConformance runs the suite against the target the environment
// names: MOMENTO_API_KEY for real Momento, MOMENTO_ENDPOINT (host:port) for
// momento-local or a standalone emulator, and an in-process emulator when
// neither is set.
func TestConformance(t *testing.T) {
	if key := os.Getenv("MOMENTO_API_KEY"); key != "" {
		conformance.Run(t, conformance.Target{APIKey: key, Name: "Momento (MOMENTO_API_KEY)"})
		return
	}
	if ep := os.Getenv("MOMENTO_ENDPOINT"); ep != "" {
		conformance.Run(t, conformance.Target{Endpoint: ep, Name: "MOMENTO_ENDPOINT " + ep})
		return
	}

	s := emulator.RunT(t)
	conformance.Run(t, conformance.Target{
		Endpoint: s.Addr(), Name: "in-process emulator", FastForward: s.FastForward,
	})
}

// TestConformanceStandalone runs the suite against the standalone emulator
// command, started as a child process listening on an ephemeral port.
func TestConformanceStandalone(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the standalone emulator's conformance run in -short mode")
	}
	addr := startStandalone(t, "--addr", "127.0.0.1:0", "--log-format", "json")
	conformance.Run(t, conformance.Target{Endpoint: addr, Name: "standalone emulator " + addr})
}

// startStandalone starts `counterlab emulator` (this test binary running
// emulator.Main) with args, waits for its start line, and returns the
// address it listens on. The test's cleanup interrupts it and checks that
// it stops cleanly.
func startStandalone(t *testing.T, args ...string) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatalf("find the test binary: %v", err)
	}
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), childVar+"="+strings.Join(args, " "))
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start the standalone emulator: %v", err)
	}

	done := make(chan error, 1)
	addrs := make(chan string, 1)
	go scanStartLine(stderr, addrs, t.Logf)
	go func() { done <- cmd.Wait() }()
	t.Cleanup(func() { stopStandalone(t, cmd, done) })

	select {
	case addr := <-addrs:
		return addr
	case err := <-done:
		t.Fatalf("the standalone emulator exited before it started: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatalf("the standalone emulator logged no start line within 30s")
	}
	return ""
}

// scanStartLine reads the child's JSON log lines, sends the address of the
// "emulator started" line, and keeps reading so that the child never
// blocks on a full pipe.
func scanStartLine(r io.Reader, addrs chan<- string, logf func(string, ...any)) {
	sc := bufio.NewScanner(r)
	sent := false
	for sc.Scan() {
		var line struct {
			Msg  string `json:"msg"`
			Addr string `json:"addr"`
		}
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			logf("standalone emulator: %s", sc.Text())
			continue
		}
		if !sent && line.Msg == "emulator started" && line.Addr != "" {
			addrs <- line.Addr
			sent = true
		}
	}
}

func stopStandalone(t *testing.T, cmd *exec.Cmd, done <-chan error) {
	if err := cmd.Process.Signal(os.Interrupt); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("interrupt the standalone emulator: %v", err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("the standalone emulator stopped with %v, want a clean exit", err)
		}
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Errorf("the standalone emulator did not stop within 15s of an interrupt")
	}
}

// TestSuiteCatchesDeviations runs cases of the suite, in a child process,
// against emulators that misbehave on purpose: the cases must fail, and
// pass against a well-behaved emulator.
func TestSuiteCatchesDeviations(t *testing.T) {
	tests := []struct {
		name  string
		cases string // -test.run pattern below TestConformance/conformance
		fault *emulator.Fault
	}{
		{"well-behaved", "TTL/ItemGetTtl", nil},
		{"ItemGetTtl fails", "TTL/ItemGetTtl",
			&emulator.Fault{RPC: "item-get-ttl", Code: codes.Unavailable}},
		{"Increment refused", "Increment/Values",
			&emulator.Fault{RPC: "increment", Code: codes.FailedPrecondition}},
		{"Get delayed without a delay header", "Faults/Delay",
			&emulator.Fault{RPC: "get", Delay: 2 * time.Second}},
		{"SetBatch refused", "Scalar/Batches",
			&emulator.Fault{RPC: "set-batch", Code: codes.ResourceExhausted}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := emulator.RunT(t)
			if tt.fault != nil {
				s.AddFault(*tt.fault)
			}

			out, err := runSuiteChild(t, s.Addr(), tt.cases)
			failed := strings.Contains(out, "--- FAIL: TestConformance/conformance/"+tt.cases)
			switch {
			case tt.fault == nil && (err != nil || failed):
				t.Fatalf("the suite failed against a well-behaved emulator: %v\n%s", err, out)
			case tt.fault != nil && (err == nil || !failed):
				t.Fatalf("the suite passed against an emulator with %s: %v\n%s",
					tt.fault, err, out)
			}
		})
	}
}

// runSuiteChild runs TestConformance's cases matching pattern against
// endpoint in a child test process and returns its output.
func runSuiteChild(t *testing.T, endpoint, pattern string) (string, error) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatalf("find the test binary: %v", err)
	}
	run := "^TestConformance$/^conformance$/^" + pattern + "$"
	cmd := exec.Command(self, "-test.run="+run, "-test.v", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), "MOMENTO_ENDPOINT="+endpoint, "MOMENTO_API_KEY=")
	out, err := cmd.CombinedOutput()
	return string(out), err
}
