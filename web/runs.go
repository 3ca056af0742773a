package web

// Routes of this file:
//   GET    /api/runs                          limits, the run going, runs kept
//   POST   /api/runs                          start a run
//   GET    /api/runs/:id                      a run's state and results
//   DELETE /api/runs/:id                      cancel a run
//   GET    /api/runs/:id/events               progress as server-sent events
//   GET    /api/runs/:id/export.json          the results as JSON
//   GET    /api/runs/:id/export.csv           the results as CSV, one row per strategy
//   GET    /api/runs/:id/charts/:chart        latency, throughput or outcomes, .svg or .png

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/compare"
)

// Defaults of a run request's workload fields left out (zero).
const (
	DefaultRunWorkers    = 16
	DefaultRunIncrements = 1000
	DefaultRunKeys       = 1
)

// Timing of the event stream and of cancelling.
const (
	eventsKeepAlive = 15 * time.Second
	eventsRetryMs   = 2000
	cancelWait      = 10 * time.Second
)

// newRuns builds the run manager of the router, closed when the server
// stops.
func (h *handlers) newRuns() *compare.Manager {
	m := compare.NewManager(h.deps.Backends, compare.Options{
		Limits:  h.deps.RunLimits,
		Logger:  h.log,
		Observe: h.metrics.observeRun,
	})
	if h.deps.Stopping != nil {
		go func() {
			<-h.deps.Stopping
			m.Close()
			if h.deps.RunsStopped != nil {
				h.deps.RunsStopped()
			}
		}()
	}
	return m
}

func (h *handlers) registerRuns(r *gin.Engine) {
	getAndHead(r, "/api/runs", h.listRuns)
	r.POST("/api/runs", answer(h.startRun))
	getAndHead(r, "/api/runs/:id", answer(h.getRun))
	r.DELETE("/api/runs/:id", answer(h.cancelRun))
	getAndHead(r, "/api/runs/:id/events", answer(h.runEvents))
	getAndHead(r, "/api/runs/:id/export.json", answer(h.exportJSON))
	getAndHead(r, "/api/runs/:id/export.csv", answer(h.exportCSV))
	getAndHead(r, "/api/runs/:id/charts/:chart", answer(h.runChart))
}

// limitsJSON are the run limits as the API shows them.
type limitsJSON struct {
	MaxWorkers         int     `json:"maxWorkers"`
	MaxIncrements      int     `json:"maxIncrements"`
	MaxKeys            int     `json:"maxKeys"`
	MaxDurationSeconds float64 `json:"maxDurationSeconds"`
}

// runSummary is one run in the list.
type runSummary struct {
	ID        string    `json:"id"`
	State     string    `json:"state"`
	CreatedAt time.Time `json:"createdAt"`
	Percent   float64   `json:"percent"`
}

func (h *handlers) listRuns(c *gin.Context) {
	l := h.runs.Limits()
	out := struct {
		Limits   limitsJSON   `json:"limits"`
		Defaults runDefaults  `json:"defaults"`
		Active   *string      `json:"active"`
		Runs     []runSummary `json:"runs"`
	}{
		Limits:   limitsJSON{l.MaxWorkers, l.MaxIncrements, l.MaxKeys, l.MaxDuration.Seconds()},
		Defaults: h.runDefaults(),
		Runs:     []runSummary{},
	}
	if a := h.runs.Active(); a != nil {
		id := a.ID()
		out.Active = &id
	}
	for _, r := range h.runs.Runs() {
		s := r.State()
		out.Runs = append(out.Runs, runSummary{s.ID, s.State, s.CreatedAt, s.Percent})
	}
	c.JSON(http.StatusOK, out)
}

// runDefaults are the workload fields a run request may leave out.
type runDefaults struct {
	Workers    int `json:"workers"`
	Increments int `json:"increments"`
	Keys       int `json:"keys"`
}

// runDefaults returns the defaults, within the limits.
func (h *handlers) runDefaults() runDefaults {
	l := h.runs.Limits()
	return runDefaults{
		Workers:    min(DefaultRunWorkers, l.MaxWorkers),
		Increments: min(DefaultRunIncrements, l.MaxIncrements),
		Keys:       min(DefaultRunKeys, l.MaxKeys),
	}
}

// runRequest is the body of POST /api/runs. A field left out is nil and
// takes its default; one given must be valid (an explicit 0 is not "left out").
type runRequest struct {
	Strategies      *[]compare.Ref `json:"strategies"`
	Workers         *int           `json:"workers"`
	Increments      *int           `json:"increments"`
	Keys            *int           `json:"keys"`
	Max             *int64         `json:"max"`
	DurationSeconds *float64       `json:"durationSeconds"`
}

// spec returns the run's spec, defaults filled in, or invalid_input for a
// field out of range.
func (h *handlers) spec(req runRequest) (compare.SpecJSON, error) {
	d, l := h.runDefaults(), h.runs.Limits()
	spec := compare.SpecJSON{Workers: d.Workers, Increments: d.Increments, Keys: d.Keys}
	if req.Strategies != nil {
		if len(*req.Strategies) == 0 {
			return spec, invalid("field \"strategies\": want at least one strategy, got an "+
				"empty list (leave the field out to run every strategy)").
				With("field", "strategies")
		}
		spec.Strategies = *req.Strategies
	}
	for _, f := range []struct {
		name  string
		src   *int
		dst   *int
		limit int
	}{
		{"workers", req.Workers, &spec.Workers, l.MaxWorkers},
		{"increments", req.Increments, &spec.Increments, l.MaxIncrements},
		{"keys", req.Keys, &spec.Keys, l.MaxKeys},
	} {
		if f.src == nil {
			continue
		}
		if *f.src < 1 || *f.src > f.limit {
			return spec, invalid("field %q: want 1 to %d, got %d", f.name, f.limit, *f.src).
				With("field", f.name)
		}
		*f.dst = *f.src
	}
	if req.Max != nil {
		if v := *req.Max; v < 0 || v > backends.MaxLimit {
			return spec, invalid("field \"max\": want 0 (no conditional strategy) or 1 to %d, "+
				"got %d", int64(backends.MaxLimit), v).With("field", "max")
		}
		spec.Max = *req.Max
	}
	if req.DurationSeconds != nil {
		limit := l.MaxDuration.Seconds()
		if v := *req.DurationSeconds; v < 0 || v > limit {
			return spec, invalid("field \"durationSeconds\": want 0 (no cap) to %v, got %v",
				limit, v).With("field", "durationSeconds")
		}
		spec.DurationSeconds = *req.DurationSeconds
	}
	return spec, nil
}

func (h *handlers) startRun(c *gin.Context) error {
	var req runRequest
	if err := readBody(c, &req); err != nil {
		return err
	}
	spec, err := h.spec(req)
	if err != nil {
		return err
	}

	run, err := h.runs.Start(spec.Spec())
	if err != nil {
		return err
	}
	h.metrics.runsStarted.Inc()

	c.Header("Location", "/api/runs/"+run.ID())
	c.JSON(http.StatusAccepted, run.State())
	return nil
}

// run finds the run of the path.
func (h *handlers) run(c *gin.Context) (*compare.Run, error) {
	id, err := pathValue(c, "id")
	if err != nil {
		return nil, err
	}
	r, ok := h.runs.Run(id)
	if !ok {
		return nil, backends.Errorf(CodeNotFound,
			"no run %q: runs are kept in memory, the last %d of them", id,
			compare.DefaultKeepRuns)
	}
	return r, nil
}

func (h *handlers) getRun(c *gin.Context) error {
	r, err := h.run(c)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, r.State())
	return nil
}

// cancelRun cancels a run and waits a little for it to end, so that the
// answer shows it cancelled. A run that had already ended is left as it was.
func (h *handlers) cancelRun(c *gin.Context) error {
	r, err := h.run(c)
	if err != nil {
		return err
	}
	if err := readBody(c, nil); err != nil {
		return err
	}

	if r.Cancel() {
		select {
		case <-r.Done():
		case <-time.After(cancelWait):
		case <-c.Request.Context().Done():
		}
	}
	c.JSON(http.StatusOK, r.State())
	return nil
}

// runEvents streams a run's events as server-sent events, each with its
// sequence number as id: a client that reconnects with Last-Event-ID (or
// ?from=N) gets the events after it. The stream ends after run-finished.
// Once the stream has begun, a failure is logged, not answered.
func (h *handlers) runEvents(c *gin.Context) error {
	r, err := h.run(c)
	if err != nil {
		return err
	}
	from, err := eventsFrom(c)
	if err != nil {
		return err
	}

	w := c.Writer
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if c.Request.Method == http.MethodHead {
		return nil // the headers only: no stream
	}
	fmt.Fprintf(w, "retry: %d\n\n", eventsRetryMs)
	w.Flush()

	keepAlive := time.NewTicker(eventsKeepAlive)
	defer keepAlive.Stop()
	for {
		events, wake, ended := r.Events(from)
		for _, e := range events {
			data, err := json.Marshal(e)
			if err != nil {
				h.log.Error("encode a run event", "run", r.ID(), "error", err)
				return nil
			}
			fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", e.Seq, e.Type, data)
			from = e.Seq + 1
		}
		w.Flush()
		if ended {
			return nil
		}

		select {
		case <-wake:
		case <-keepAlive.C:
			fmt.Fprint(w, ": keep-alive\n\n")
		case <-c.Request.Context().Done():
			return nil
		case <-h.deps.Stopping:
			return nil
		}
	}
}

// eventsFrom reads where an event stream starts: after Last-Event-ID, or at
// ?from=N, or at the beginning.
func eventsFrom(c *gin.Context) (int, error) {
	if v := c.GetHeader("Last-Event-ID"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, invalid("Last-Event-ID %q: want an event number", v)
		}
		return n + 1, nil
	}
	if v := c.Query("from"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, invalid("from=%q: want an event number, 0 or more", v).
				With("field", "from")
		}
		return n, nil
	}
	return 0, nil
}

func (h *handlers) exportJSON(c *gin.Context) error {
	return h.export(c, "json", "application/json", compare.WriteJSON)
}

func (h *handlers) exportCSV(c *gin.Context) error {
	return h.export(c, "csv", "text/csv; charset=utf-8", compare.WriteCSV)
}

// export answers the run's results as a file to download.
func (h *handlers) export(c *gin.Context, ext, contentType string,
	write func(io.Writer, compare.RunState) error) error {
	r, err := h.run(c)
	if err != nil {
		return err
	}

	var buf bytes.Buffer
	if err := write(&buf, r.State()); err != nil {
		return fmt.Errorf("export run %s as %s: %w", r.ID(), ext, err)
	}
	c.Header("Content-Disposition",
		fmt.Sprintf(`attachment; filename="counterlab-run-%s.%s"`, r.ID(), ext))
	c.Data(http.StatusOK, contentType, buf.Bytes())
	return nil
}

// runChart draws one chart of a run: /charts/latency.svg, throughput.png...
// ?theme=dark draws it for a dark page.
func (h *handlers) runChart(c *gin.Context) error {
	r, err := h.run(c)
	if err != nil {
		return err
	}
	chart, err := pathValue(c, "chart")
	if err != nil {
		return err
	}
	name, format, ok := strings.Cut(chart, ".")
	if !ok {
		return invalid("chart %q: want a name and a format, e.g. latency.svg",
			chart).With("charts", compare.Charts())
	}
	theme := c.DefaultQuery("theme", compare.ThemeLight)

	img, err := compare.Chart(r.State().Results, name, format, theme)
	if err != nil {
		return err
	}
	contentType := "image/png"
	if format == compare.FormatSVG {
		contentType = "image/svg+xml"
	}
	c.Data(http.StatusOK, contentType, img)
	return nil
}
