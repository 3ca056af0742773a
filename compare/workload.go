// Package compare runs a workload of increments against a list of
// strategies, one strategy at a time on fresh counters, records every
// operation's latency in an HdrHistogram and every returned value, and lets a
// checker give each strategy a verdict: correct, lost updates, exceeded max,
// extra updates or inconclusive.
//
// The web page (through Manager) and the `counterlab compare` command (Main)
// both use it.
package compare

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/counterlab/counterlab/backends"
)

// Ref names one strategy of one backend. Its text form, used in the API and
// on the command line, is "backend/strategy", e.g. "redis/incr".
type Ref struct {
	Backend  string
	Strategy string
}

// String returns "backend/strategy".
func (r Ref) String() string { return r.Backend + "/" + r.Strategy }

// MarshalText writes the "backend/strategy" form.
func (r Ref) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads the "backend/strategy" form.
func (r *Ref) UnmarshalText(b []byte) error {
	p, err := ParseRef(string(b))
	if err != nil {
		return err
	}
	*r = p
	return nil
}

// ParseRef reads "backend/strategy".
func ParseRef(s string) (Ref, error) {
	b, st, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok || b == "" || st == "" {
		return Ref{}, backends.Errorf(backends.CodeInvalidInput,
			"strategy %q: want backend/strategy, e.g. redis/incr", s)
	}
	return Ref{Backend: b, Strategy: st}, nil
}

// Workload is what a run applies to each strategy.
type Workload struct {
	// Workers is the number of concurrent clients.
	Workers int `json:"workers"`
	// Increments is the number of increments per strategy.
	Increments int `json:"increments"`
	// Keys is the number of distinct counters the increments are spread
	// over, round robin; 1 makes one hot counter.
	Keys int `json:"keys"`
	// Max bounds the conditional strategies; unconditional strategies run
	// without it. Required when a conditional strategy is chosen.
	Max int64 `json:"max"`
	// Duration optionally caps the time spent on each strategy; the
	// increments not started by then are left out. 0 means no cap beyond the
	// run's limit.
	Duration time.Duration `json:"-"`
}

// Spec is a whole run: a workload and the strategies it is applied to, in
// order.
type Spec struct {
	Workload
	Strategies []Ref `json:"strategies"`
}

// Limits bound a run so that a deployed instance cannot be turned into a
// load generator.
type Limits struct {
	MaxWorkers    int           `json:"maxWorkers"`
	MaxIncrements int           `json:"maxIncrements"`
	MaxKeys       int           `json:"maxKeys"`
	MaxDuration   time.Duration `json:"-"`
	// KeepRuns is how many finished runs stay readable.
	KeepRuns int `json:"-"`
}

// Default limits of the web API.
const (
	DefaultMaxWorkers    = 256
	DefaultMaxIncrements = 1_000_000
	DefaultMaxKeys       = 10_000
	DefaultMaxDuration   = 60 * time.Second
	DefaultKeepRuns      = 16
)

// DefaultLimits returns the limits of the web API.
func DefaultLimits() Limits {
	return Limits{
		MaxWorkers:    DefaultMaxWorkers,
		MaxIncrements: DefaultMaxIncrements,
		MaxKeys:       DefaultMaxKeys,
		MaxDuration:   DefaultMaxDuration,
		KeepRuns:      DefaultKeepRuns,
	}
}

// Variables that set the limits of the web API.
const (
	EnvMaxWorkers    = "COUNTERLAB_RUN_MAX_WORKERS"
	EnvMaxIncrements = "COUNTERLAB_RUN_MAX_INCREMENTS"
	EnvMaxKeys       = "COUNTERLAB_RUN_MAX_KEYS"
	EnvMaxDuration   = "COUNTERLAB_RUN_MAX_DURATION"
)

// LoadLimits reads the limits from the environment through getenv; unset
// variables keep the defaults. The duration is a Go duration such as "60s".
func LoadLimits(getenv func(string) string) (Limits, error) {
	l := DefaultLimits()
	ints := []struct {
		name string
		dst  *int
	}{
		{EnvMaxWorkers, &l.MaxWorkers},
		{EnvMaxIncrements, &l.MaxIncrements},
		{EnvMaxKeys, &l.MaxKeys},
	}
	for _, v := range ints {
		raw := strings.TrimSpace(getenv(v.name))
		if raw == "" {
			continue
		}
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			return l, fmt.Errorf("%s=%q: want a whole number, 1 or more", v.name, raw)
		}
		*v.dst = n
	}

	if raw := strings.TrimSpace(getenv(EnvMaxDuration)); raw != "" {
		d, err := time.ParseDuration(raw)
		if err != nil || d <= 0 {
			return l, fmt.Errorf("%s=%q: want a duration such as 60s or 2m", EnvMaxDuration, raw)
		}
		l.MaxDuration = d
	}
	return l, nil
}

// withDefaults fills zero fields with the defaults.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxWorkers <= 0 {
		l.MaxWorkers = d.MaxWorkers
	}
	if l.MaxIncrements <= 0 {
		l.MaxIncrements = d.MaxIncrements
	}
	if l.MaxKeys <= 0 {
		l.MaxKeys = d.MaxKeys
	}
	if l.MaxDuration <= 0 {
		l.MaxDuration = d.MaxDuration
	}
	if l.KeepRuns <= 0 {
		l.KeepRuns = d.KeepRuns
	}
	return l
}

// invalid returns an invalid_input error whose details carry the field.
func invalid(field string, format string, args ...any) error {
	return backends.Errorf(backends.CodeInvalidInput, format, args...).With("field", field)
}

// Validate checks the workload against the limits.
func (w Workload) Validate(l Limits) error {
	l = l.withDefaults()
	switch {
	case w.Workers < 1 || w.Workers > l.MaxWorkers:
		return invalid("workers", "workers is %d: want 1 to %d", w.Workers, l.MaxWorkers)
	case w.Increments < 1 || w.Increments > l.MaxIncrements:
		return invalid("increments", "increments is %d: want 1 to %d",
			w.Increments, l.MaxIncrements)
	case w.Keys < 1 || w.Keys > l.MaxKeys:
		return invalid("keys", "keys is %d: want 1 to %d", w.Keys, l.MaxKeys)
	case w.Max < 0 || w.Max > backends.MaxLimit:
		return invalid("max", "max is %d: want 0 (no conditional strategy) or 1 to %d",
			w.Max, int64(backends.MaxLimit))
	case w.Duration < 0 || w.Duration > l.MaxDuration:
		return invalid("durationSeconds", "duration is %s: want at most %s",
			w.Duration, l.MaxDuration)
	}
	return nil
}

// Resolve validates the spec against the limits and the backends present and
// returns the strategies it names. An empty list picks every strategy of the
// present backends, the conditional ones only when max is set.
func (s Spec) Resolve(l Limits, present map[string]bool) ([]backends.Strategy, error) {
	if err := s.Validate(l); err != nil {
		return nil, err
	}

	if len(s.Strategies) == 0 {
		var out []backends.Strategy
		for _, st := range backends.Strategies {
			if present[st.Backend] && (!st.Conditional || s.Max > 0) {
				out = append(out, st)
			}
		}
		if len(out) == 0 {
			return nil, invalid("strategies", "no backend is available to compare")
		}
		return out, nil
	}

	seen := map[Ref]bool{}
	out := make([]backends.Strategy, 0, len(s.Strategies))
	for _, r := range s.Strategies {
		if !present[r.Backend] {
			return nil, backends.Errorf(backends.CodeUnknownBackend,
				"strategy %s: no backend %q", r, r.Backend).With("field", "strategies")
		}
		st, ok := backends.LookupStrategy(r.Backend, r.Strategy, false)
		if !ok || r.Strategy == "" {
			return nil, invalid("strategies", "strategy %s: backend %s has no strategy %q",
				r, r.Backend, r.Strategy)
		}
		if seen[r] {
			return nil, invalid("strategies", "strategy %s is listed twice", r)
		}
		seen[r] = true
		if st.Conditional && s.Max <= 0 {
			return nil, invalid("max", "strategy %s is conditional: set max to 1 or more", r)
		}
		out = append(out, st)
	}
	return out, nil
}

// ref returns the strategy's Ref.
func ref(s backends.Strategy) Ref { return Ref{Backend: s.Backend, Strategy: s.ID} }

// String describes the workload in one line.
func (w Workload) String() string {
	s := fmt.Sprintf("%d increments, %d workers, %d counter(s)", w.Increments, w.Workers, w.Keys)
	if w.Max > 0 {
		s += fmt.Sprintf(", max %d for conditional strategies", w.Max)
	}
	if w.Duration > 0 {
		s += fmt.Sprintf(", at most %s per strategy", w.Duration)
	}
	return s
}
