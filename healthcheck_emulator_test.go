package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/counterlab/counterlab/emulator"
)

// TestHealthcheckEmulator checks that healthcheck passes on a running
// emulator, which answers gRPC and no HTTP, and fails once it stops.
func TestHealthcheckEmulator(t *testing.T) {
	s := emulator.RunT(t)
	env := func(string) string { return "" }

	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"healthcheck", "--addr", s.Addr()},
		&out, &errOut, env)
	if code != 0 {
		t.Fatalf("healthcheck on the emulator: exit %d, want 0 (%s)", code, errOut.String())
	}
	if !strings.Contains(out.String(), "emulator") {
		t.Errorf("healthcheck output: got %q, want it to name the emulator", out.String())
	}

	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	errOut.Reset()
	code = run(context.Background(), []string{"healthcheck", "--addr", s.Addr()},
		io.Discard, &errOut, env)
	if code != 1 {
		t.Errorf("healthcheck after the emulator stopped: exit %d, want 1", code)
	}
	if !strings.Contains(errOut.String(), "as the emulator") {
		t.Errorf("healthcheck error: got %q, want both checks reported", errOut.String())
	}
}
