package compare

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// progressBar shows a run's events on a terminal as a bar redrawn in place,
// and elsewhere (a file, a pipe) as one line per strategy.
type progressBar struct {
	w        io.Writer
	tty      bool
	quiet    bool
	total    int
	lastDraw time.Time
}

// barWidth is the number of cells in the bar.
const barCells = 30

func newProgressBar(w io.Writer, quiet bool) *progressBar {
	return &progressBar{w: w, tty: isTerminal(w), quiet: quiet}
}

// isTerminal reports whether w is a character device, such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// show draws one event.
func (b *progressBar) show(e Event) {
	if b.quiet {
		return
	}
	switch e.Type {
	case EventStrategyStarted:
		if !b.tty {
			fmt.Fprintf(b.w, "%s: running\n", e.Strategy)
			return
		}
		b.draw(e)
	case EventProgress:
		if b.tty && time.Since(b.lastDraw) >= 50*time.Millisecond {
			b.draw(e)
		}
	case EventStrategyFinished:
		b.clear()
		r := e.Result
		fmt.Fprintf(b.w, "%s: %s, %.0f increments/s, p99 %.2f ms\n",
			e.Strategy, verdictWords(*r), r.Throughput, r.Latency.P99)
	case EventRunFinished:
		b.clear()
		if e.State == StateCancelled {
			fmt.Fprintln(b.w, "run cancelled")
		}
	}
}

// draw redraws the bar in place.
func (b *progressBar) draw(e Event) {
	done := int(e.Percent / 100 * barCells)
	done = min(max(done, 0), barCells)
	fmt.Fprintf(b.w, "\r\033[K[%s%s] %3.0f%%  %s %3.0f%%",
		strings.Repeat("#", done), strings.Repeat(".", barCells-done),
		e.Percent, e.Strategy, e.StrategyPercent)
	b.lastDraw = time.Now()
}

// clear erases the bar so that a line can be printed.
func (b *progressBar) clear() {
	if b.tty {
		fmt.Fprint(b.w, "\r\033[K")
	}
}
