package compare

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
)

// WriteJSON writes the run, indented.
func WriteJSON(w io.Writer, s RunState) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(s)
}

// csvHeader names the CSV columns, one row per strategy.
var csvHeader = []string{
	"run", "backend", "strategy", "conditional", "max", "status",
	"workers", "increments", "keys", "completed", "stopped_early", "elapsed_ms",
	"throughput_per_s", "mean_ms", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms",
	"round_trips", "attempts",
	"ok", "limit_reached", "conflict", "unavailable", "outcome_unknown", "other",
	"final", "verdict", "acknowledged", "unknown", "duplicate_values", "lost",
	"exceeded", "extra", "bound_holds", "summary",
}

// WriteCSV writes one row per strategy, with a header.
func WriteCSV(w io.Writer, s RunState) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader); err != nil {
		return err
	}

	i := func(n int64) string { return strconv.FormatInt(n, 10) }
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) }
	b := strconv.FormatBool
	for _, r := range s.Results {
		ev := r.Verdict.Evidence
		row := []string{
			s.ID, r.Backend, r.Strategy, b(r.Conditional), i(r.Max), r.Status,
			i(int64(s.Spec.Workers)), i(int64(s.Spec.Increments)), i(int64(s.Spec.Keys)),
			i(r.Completed), b(r.StoppedEarly), f(r.ElapsedMs),
			f(r.Throughput), f(r.Latency.Mean), f(r.Latency.P50), f(r.Latency.P90),
			f(r.Latency.P99), f(r.Latency.P999), f(r.Latency.Max),
			f(r.RoundTrips), f(r.Attempts),
		}
		for _, o := range Outcomes() {
			row = append(row, i(r.Outcomes[o.String()]))
		}
		row = append(row, i(r.Final), r.Verdict.ID, i(ev.Acknowledged), i(ev.Unknown),
			i(ev.DuplicateValues), i(ev.Lost), i(ev.Exceeded), i(ev.Extra),
			b(ev.BoundHolds), r.Verdict.Summary)
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
