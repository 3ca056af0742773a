package compare

import (
	"strings"
	"testing"
	"time"
)

// oks returns acknowledged increments that returned the values.
func oks(values ...int64) []Op {
	out := make([]Op, len(values))
	for i, v := range values {
		out[i] = Op{Outcome: OutcomeOK, Value: v}
	}
	return out
}

// ops returns n increments with the outcome.
func ops(o Outcome, n int) []Op {
	out := make([]Op, n)
	for i := range out {
		out[i] = Op{Outcome: o}
	}
	return out
}

func cat(parts ...[]Op) []Op {
	var out []Op
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func key(final int64, o ...[]Op) KeyHistory {
	return KeyHistory{Ops: cat(o...), Final: final, FinalKnown: true}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		h       History
		want    string
		summary string // a part of the summary
		check   func(t *testing.T, ev Evidence)
	}{
		{
			name:    "unconditional, every value once, final equals acknowledged",
			h:       History{Keys: []KeyHistory{key(4, oks(2, 1, 4, 3))}},
			want:    VerdictCorrect,
			summary: "4 acknowledged",
		},
		{
			name: "failures that were not applied do not count",
			h: History{Keys: []KeyHistory{key(2, oks(1, 2),
				ops(OutcomeUnavailable, 3), ops(OutcomeConflict, 2), ops(OutcomeOther, 1))}},
			want: VerdictCorrect,
		},
		{
			name:    "no increment ran",
			h:       History{Conditional: true, Max: 5, Keys: []KeyHistory{key(0, nil)}},
			want:    VerdictInconclusive,
			summary: "no increment ran",
		},
		{
			name: "several counters, each correct",
			h: History{Keys: []KeyHistory{
				key(3, oks(1, 2, 3)), key(2, oks(2, 1)), key(0, nil),
			}},
			want: VerdictCorrect,
			check: func(t *testing.T, ev Evidence) {
				if ev.Acknowledged != 5 || ev.Final != 5 {
					t.Errorf("got acknowledged %d final %d, want 5 and 5",
						ev.Acknowledged, ev.Final)
				}
			},
		},
		{
			name: "lost updates shown by repeated values",
			h: History{Conditional: true, Max: 100,
				Keys: []KeyHistory{key(3, oks(1, 2, 2, 3, 3))}},
			want:    VerdictLostUpdates,
			summary: "lost 2 update(s): 2 returned value(s) repeated, final value 3 below 5",
			check: func(t *testing.T, ev Evidence) {
				if ev.DuplicateValues != 2 || ev.Lost != 2 {
					t.Errorf("got duplicates %d lost %d, want 2 and 2",
						ev.DuplicateValues, ev.Lost)
				}
			},
		},
		{
			name: "lost updates shown by a final value below the acknowledged",
			h: History{Keys: []KeyHistory{
				key(3, oks(1, 2, 3, 4, 5)), // the counter went back to 3 later
			}},
			want:    VerdictLostUpdates,
			summary: "final value 3 below 5 acknowledged",
			check: func(t *testing.T, ev Evidence) {
				if ev.Lost != 2 || ev.DuplicateValues != 0 {
					t.Errorf("got lost %d duplicates %d, want 2 and 0",
						ev.Lost, ev.DuplicateValues)
				}
			},
		},
		{
			name: "lost updates are summed over counters",
			h: History{Keys: []KeyHistory{
				key(2, oks(1, 2, 2)), key(1, oks(1, 1, 1)), key(2, oks(1, 2)),
			}},
			want: VerdictLostUpdates,
			check: func(t *testing.T, ev Evidence) {
				if ev.Lost != 3 || ev.KeysAffected != 2 {
					t.Errorf("got lost %d on %d keys, want 3 on 2", ev.Lost, ev.KeysAffected)
				}
			},
		},
		{
			name: "repeated values are lost even when unknown outcomes could explain the count",
			h: History{Keys: []KeyHistory{
				key(3, oks(1, 2, 2), ops(OutcomeUnknown, 1)),
			}},
			want:    VerdictLostUpdates,
			summary: "with 1 unknown outcome(s)",
		},
		{
			name: "conditional, stopped at max, the rest refused",
			h: History{Conditional: true, Max: 3, Keys: []KeyHistory{
				key(3, oks(1, 2, 3), ops(OutcomeLimitReached, 4)),
			}},
			want:    VerdictCorrect,
			summary: "never past max 3",
		},
		{
			name: "exceeded max by the final value",
			h: History{Conditional: true, Max: 3, Keys: []KeyHistory{
				key(5, oks(1, 2, 3, 4, 5)),
			}},
			want:    VerdictExceededMax,
			summary: "exceeded max 3 by 2",
			check: func(t *testing.T, ev Evidence) {
				if ev.Exceeded != 2 {
					t.Errorf("got exceeded %d, want 2", ev.Exceeded)
				}
			},
		},
		{
			name: "more successes than max on a counter that stayed within it: lost updates",
			h: History{Conditional: true, Max: 2, Keys: []KeyHistory{
				key(2, oks(1, 2, 2, 2), ops(OutcomeLimitReached, 3)),
			}},
			want:    VerdictLostUpdates,
			summary: "final value 2 below 4 acknowledged",
			check: func(t *testing.T, ev Evidence) {
				if ev.Exceeded != 0 || ev.Lost != 2 {
					t.Errorf("got exceeded %d lost %d, want 0 and 2", ev.Exceeded, ev.Lost)
				}
			},
		},
		{
			name: "exceeded max by a returned value, the counter lowered afterwards",
			h: History{Conditional: true, Max: 2, Keys: []KeyHistory{
				key(2, oks(1, 2, 3)),
			}},
			want:    VerdictExceededMax,
			summary: "exceeded max 2 by 1; lost 1 update(s)",
		},
		{
			name: "an unconditional strategy has no max to exceed",
			h:    History{Keys: []KeyHistory{key(5, oks(1, 2, 3, 4, 5))}, Max: 2},
			want: VerdictCorrect,
		},
		{
			name: "inconclusive: unknown outcomes, bound holds",
			h: History{Keys: []KeyHistory{
				key(4, oks(1, 2, 4), ops(OutcomeUnknown, 2)),
			}},
			want: VerdictInconclusive,
			summary: "2 increment(s) with unknown outcome; " +
				"acknowledged 3 <= final 4 <= acknowledged + unknown 5 holds",
			check: func(t *testing.T, ev Evidence) {
				if !ev.BoundHolds || ev.Lost != 0 || ev.Extra != 0 {
					t.Errorf("got bound %v lost %d extra %d, want true, 0, 0",
						ev.BoundHolds, ev.Lost, ev.Extra)
				}
			},
		},
		{
			name: "inconclusive at the top of the bound",
			h: History{Keys: []KeyHistory{
				key(5, oks(1, 2, 4), ops(OutcomeUnknown, 2)),
			}},
			want: VerdictInconclusive,
		},
		{
			name: "bound broken below: lost updates in spite of unknown outcomes",
			h: History{Keys: []KeyHistory{
				key(2, oks(1, 2, 3), ops(OutcomeUnknown, 2)),
			}},
			want:    VerdictLostUpdates,
			summary: "does not hold",
			check: func(t *testing.T, ev Evidence) {
				if ev.BoundHolds || ev.Lost != 1 {
					t.Errorf("got bound %v lost %d, want false and 1", ev.BoundHolds, ev.Lost)
				}
			},
		},
		{
			name: "bound broken above: extra updates",
			h: History{Keys: []KeyHistory{
				key(6, oks(1, 2, 3), ops(OutcomeUnknown, 1), ops(OutcomeUnavailable, 2)),
			}},
			want:    VerdictExtraUpdates,
			summary: "2 more increments applied",
			check: func(t *testing.T, ev Evidence) {
				if ev.BoundHolds || ev.Extra != 2 {
					t.Errorf("got bound %v extra %d, want false and 2", ev.BoundHolds, ev.Extra)
				}
			},
		},
		{
			name: "inconclusive: the final value could not be read",
			h: History{Keys: []KeyHistory{
				{Ops: oks(1, 2), FinalKnown: false},
			}},
			want:    VerdictInconclusive,
			summary: "could not be read back",
		},
	}

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Check(tt.h)
			if got.ID != tt.want {
				t.Fatalf("got verdict %s (%s), want %s", got.ID, got.Summary, tt.want)
			}
			if !strings.Contains(got.Summary, tt.summary) {
				t.Errorf("got summary %q, want it to contain %q", got.Summary, tt.summary)
			}
			if tt.check != nil {
				tt.check(t, got.Evidence)
			}
		})
	}
}

func TestOutcomeNames(t *testing.T) {
	want := []string{"ok", "limit_reached", "conflict", "unavailable", "outcome_unknown", "other"}
	for i, o := range Outcomes() {
		if o.String() != want[i] {
			t.Errorf("got outcome %d named %q, want %q", i, o, want[i])
		}
	}
}

func TestLoadLimits(t *testing.T) {
	env := map[string]string{EnvMaxWorkers: "32", EnvMaxDuration: "2m"}
	l, err := LoadLimits(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	d := DefaultLimits()
	if l.MaxWorkers != 32 || l.MaxDuration != 2*time.Minute ||
		l.MaxIncrements != d.MaxIncrements || l.MaxKeys != d.MaxKeys {
		t.Errorf("got %+v", l)
	}

	for _, bad := range []map[string]string{
		{EnvMaxWorkers: "0"}, {EnvMaxIncrements: "many"}, {EnvMaxKeys: "-3"},
		{EnvMaxDuration: "60"}, {EnvMaxDuration: "-1s"},
	} {
		if _, err := LoadLimits(func(k string) string { return bad[k] }); err == nil {
			t.Errorf("LoadLimits(%v): got no error", bad)
		}
	}
}
