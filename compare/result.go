package compare

import (
	"encoding/json"
	"math"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"

	"github.com/counterlab/counterlab/backends"
)

// Strategy states within a run.
const (
	StatusPending   = "pending"
	StatusRunning   = "running"
	StatusDone      = "done"
	StatusCancelled = "cancelled" // cancelled while it ran; judged on what happened
	StatusSkipped   = "skipped"   // not started: the run was cancelled first
	StatusFailed    = "failed"    // could not be run at all (e.g. counters not reset)
)

// Result is what one strategy did in a run.
type Result struct {
	Backend     string `json:"backend"`
	Strategy    string `json:"strategy"`
	Conditional bool   `json:"conditional"`
	// Max is the bound used, 0 for an unconditional strategy.
	Max    int64  `json:"max"`
	Status string `json:"status"`
	// Error says why a strategy failed to run.
	Error string `json:"error,omitempty"`

	// Completed is the number of increments that ended (any outcome);
	// StoppedEarly tells that the time cap stopped the rest.
	Completed    int64 `json:"completed"`
	StoppedEarly bool  `json:"stoppedEarly"`
	// ElapsedMs is the time from the first increment to the last answer.
	ElapsedMs float64 `json:"elapsedMs"`
	// Throughput is completed increments per second.
	Throughput float64 `json:"throughput"`
	Latency    Latency `json:"latency"`
	// RoundTrips and Attempts are means per acknowledged increment.
	RoundTrips float64 `json:"roundTrips"`
	Attempts   float64 `json:"attempts"`
	// Outcomes counts the increments by outcome name.
	Outcomes map[string]int64 `json:"outcomes"`
	// Final is the value read back after the run, summed over counters.
	Final   int64   `json:"final"`
	Verdict Verdict `json:"verdict"`

	// Errors holds a few distinct error messages met, for diagnosis.
	Errors []string `json:"errors,omitempty"`
}

// Ref returns the strategy's Ref.
func (r Result) Ref() Ref { return Ref{Backend: r.Backend, Strategy: r.Strategy} }

// Latency summarises the latency histogram, in milliseconds.
type Latency struct {
	Mean  float64 `json:"meanMs"`
	P50   float64 `json:"p50Ms"`
	P90   float64 `json:"p90Ms"`
	P99   float64 `json:"p99Ms"`
	P999  float64 `json:"p999Ms"`
	Max   float64 `json:"maxMs"`
	Count int64   `json:"count"`
	// Percentiles is the distribution, for the latency chart.
	Percentiles []Point `json:"percentiles"`
}

// Point is the latency at a percentile.
type Point struct {
	Percentile float64 `json:"percentile"`
	Ms         float64 `json:"ms"`
}

// Histogram bounds: 1 µs to 5 minutes, three significant digits.
const (
	histMin    = 1
	histMax    = int64(5 * time.Minute / time.Microsecond)
	histDigits = 3
)

func newHistogram() *hdrhistogram.Histogram {
	return hdrhistogram.New(histMin, histMax, histDigits)
}

// recordLatency adds d to h in microseconds, clamped to the bounds.
func recordLatency(h *hdrhistogram.Histogram, d time.Duration) {
	us := min(max(d.Microseconds(), histMin), histMax)
	_ = h.RecordValue(us) // cannot fail: the value is within bounds
}

// chartPercentiles are the points drawn on the latency chart.
var chartPercentiles = []float64{
	0, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 92.5, 95, 96, 97, 98, 99,
	99.5, 99.9, 99.95, 99.99, 99.999,
}

// summarise reads the latency summary out of h.
func summarise(h *hdrhistogram.Histogram) Latency {
	ms := func(us int64) float64 { return float64(us) / 1000 }
	l := Latency{Count: h.TotalCount()}
	if l.Count == 0 {
		return l
	}
	l.Mean = math.Round(h.Mean()) / 1000
	l.P50 = ms(h.ValueAtQuantile(50))
	l.P90 = ms(h.ValueAtQuantile(90))
	l.P99 = ms(h.ValueAtQuantile(99))
	l.P999 = ms(h.ValueAtQuantile(99.9))
	l.Max = ms(h.Max())

	for _, p := range chartPercentiles {
		// Beyond 1 - 1/count the percentiles repeat the maximum.
		if p > 0 && (1-p/100)*float64(l.Count) < 1 {
			break
		}
		l.Percentiles = append(l.Percentiles, Point{p, ms(h.ValueAtQuantile(p))})
	}
	return l
}

// RunState is a run as the API shows it.
type RunState struct {
	ID         string     `json:"id"`
	State      string     `json:"state"`
	Spec       SpecJSON   `json:"spec"`
	CreatedAt  time.Time  `json:"createdAt"`
	FinishedAt *time.Time `json:"finishedAt,omitempty"`
	// Percent is the share of the run done, 0 to 100.
	Percent float64 `json:"percent"`
	// Current is the index of the strategy running, -1 when none is.
	Current int      `json:"current"`
	Results []Result `json:"results"`
	// Targets says where each backend of the run points.
	Targets map[string]backends.Target `json:"targets"`
}

// SpecJSON is a Spec as JSON: the API's request and echo form.
type SpecJSON struct {
	Strategies      []Ref   `json:"strategies"`
	Workers         int     `json:"workers"`
	Increments      int     `json:"increments"`
	Keys            int     `json:"keys"`
	Max             int64   `json:"max"`
	DurationSeconds float64 `json:"durationSeconds,omitempty"`
}

// Spec returns the Spec.
func (s SpecJSON) Spec() Spec {
	return Spec{
		Workload: Workload{
			Workers:    s.Workers,
			Increments: s.Increments,
			Keys:       s.Keys,
			Max:        s.Max,
			Duration:   time.Duration(s.DurationSeconds * float64(time.Second)),
		},
		Strategies: s.Strategies,
	}
}

// JSON returns the JSON form of the spec.
func (s Spec) JSON() SpecJSON {
	return SpecJSON{
		Strategies:      s.Strategies,
		Workers:         s.Workers,
		Increments:      s.Increments,
		Keys:            s.Keys,
		Max:             s.Max,
		DurationSeconds: s.Duration.Seconds(),
	}
}

// MarshalJSON writes the spec in its API form.
func (s Spec) MarshalJSON() ([]byte, error) { return json.Marshal(s.JSON()) }

// UnmarshalJSON reads the spec in its API form.
func (s *Spec) UnmarshalJSON(b []byte) error {
	var j SpecJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = j.Spec()
	return nil
}
