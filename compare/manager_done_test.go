package compare

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/counterlab/counterlab/backends"
)

// slowHandler is a log handler that takes its time over each record, as a
// log written to a slow pipe does.
type slowHandler struct{ slog.Handler }

func (h slowHandler) Handle(ctx context.Context, r slog.Record) error {
	time.Sleep(20 * time.Millisecond)
	return h.Handler.Handle(ctx, r)
}

// TestStartRightAfterDone starts a run as soon as the previous one is done:
// a run whose Done is closed no longer holds the one-run slot, so the next
// Start is never refused as busy, however slow the log is.
func TestStartRightAfterDone(t *testing.T) {
	b, _ := redisOnMiniredis(t)
	mgr := NewManager([]backends.Backend{b},
		Options{Logger: slog.New(slowHandler{slog.NewTextHandler(io.Discard, nil)})})
	t.Cleanup(mgr.Close)

	spec := Spec{
		Workload:   Workload{Workers: 1, Increments: 1, Keys: 1},
		Strategies: refs(t, "redis/incr"),
	}
	for i := range 3 {
		runToEnd(t, mgr, spec)
		if a := mgr.Active(); a != nil {
			t.Fatalf("round %d: got active run %s after Done, want none", i, a.ID())
		}
	}
}
