package compare

import (
	"fmt"
	"strings"
)

// Outcome is how one increment ended.
type Outcome uint8

// The outcomes, in the order they are reported.
const (
	OutcomeOK           Outcome = iota // applied; the value after it came back
	OutcomeLimitReached                // refused at max; not applied
	OutcomeConflict                    // a racing writer won; not applied
	OutcomeUnavailable                 // the store could not be reached; not applied
	OutcomeUnknown                     // no answer: may or may not have been applied
	OutcomeOther                       // any other error; not applied
	numOutcomes
)

var outcomeNames = [numOutcomes]string{
	"ok", "limit_reached", "conflict", "unavailable", "outcome_unknown", "other",
}

// String returns the outcome's name as it appears in the API.
func (o Outcome) String() string {
	if o < numOutcomes {
		return outcomeNames[o]
	}
	return fmt.Sprintf("outcome(%d)", o)
}

// Outcomes lists every outcome in report order.
func Outcomes() []Outcome {
	out := make([]Outcome, numOutcomes)
	for i := range out {
		out[i] = Outcome(i)
	}
	return out
}

// Op is one increment as the checker sees it.
type Op struct {
	Outcome Outcome
	// Value is the counter after the increment; meaningful for OutcomeOK.
	Value int64
}

// KeyHistory is everything that happened to one fresh counter.
type KeyHistory struct {
	Ops []Op
	// Final is the value read back after the last increment ended.
	Final int64
	// FinalKnown is false when reading the final value failed.
	FinalKnown bool
}

// History is what the checker judges: the increments of one strategy on
// counters that started at zero (missing).
type History struct {
	Conditional bool
	// Max is the bound of a conditional strategy.
	Max  int64
	Keys []KeyHistory
}

// Verdict ids, stable in the API.
const (
	VerdictCorrect      = "correct"
	VerdictLostUpdates  = "lost_updates"
	VerdictExceededMax  = "exceeded_max"
	VerdictExtraUpdates = "extra_updates"
	VerdictInconclusive = "inconclusive"
)

// Verdict is what the checker concluded about one strategy, with the
// evidence behind it, summed over its counters.
type Verdict struct {
	// ID is one of the Verdict constants. When several problems show, the
	// first of exceeded_max, lost_updates, extra_updates wins; all are listed
	// in Problems.
	ID string `json:"id"`
	// Summary says it in words.
	Summary  string   `json:"summary"`
	Problems []string `json:"problems,omitempty"`
	Evidence Evidence `json:"evidence"`
}

// Evidence is what a verdict rests on.
type Evidence struct {
	// Acknowledged is the number of increments that reported success.
	Acknowledged int64 `json:"acknowledged"`
	// Unknown is the number of increments whose outcome is unknown.
	Unknown int64 `json:"unknown"`
	// Final is the sum of the values read back; FinalKnown is false when a
	// counter could not be read.
	Final      int64 `json:"final"`
	FinalKnown bool  `json:"finalKnown"`
	// DuplicateValues counts acknowledged increments that returned a value
	// an earlier acknowledged increment of the same counter also returned.
	// On a counter that only grows by one, every increment returns a value
	// of its own, so each duplicate is an update lost.
	DuplicateValues int64 `json:"duplicateValues"`
	// Lost is the number of updates known to be lost: the larger of the
	// duplicate values and the shortfall of the final value below the
	// acknowledged increments, per counter.
	Lost int64 `json:"lost"`
	// Exceeded is how far a conditional strategy's counter went past max,
	// summed over counters: the larger of the final value and the highest
	// returned value, minus max. More successes than max on a counter that
	// stayed within it are lost updates, not an excess.
	Exceeded int64 `json:"exceeded"`
	// Extra is how far the final value is above the acknowledged plus the
	// unknown increments: increments applied though reported as failed.
	Extra int64 `json:"extra"`
	// BoundHolds says acknowledged <= final <= acknowledged + unknown holds
	// on every counter.
	BoundHolds bool `json:"boundHolds"`
	// KeysAffected is the number of counters where a problem showed.
	KeysAffected int `json:"keysAffected"`
}

// Check judges a history.
func Check(h History) Verdict {
	ev := Evidence{FinalKnown: true, BoundHolds: true}
	for _, k := range h.Keys {
		kv := checkKey(h, k)
		ev.Acknowledged += kv.Acknowledged
		ev.Unknown += kv.Unknown
		ev.Final += kv.Final
		ev.FinalKnown = ev.FinalKnown && kv.FinalKnown
		ev.DuplicateValues += kv.DuplicateValues
		ev.Lost += kv.Lost
		ev.Exceeded += kv.Exceeded
		ev.Extra += kv.Extra
		ev.BoundHolds = ev.BoundHolds && kv.BoundHolds
		if kv.Lost > 0 || kv.Exceeded > 0 || kv.Extra > 0 {
			ev.KeysAffected++
		}
	}
	return verdictOf(h, ev)
}

// checkKey gathers the evidence of one counter.
func checkKey(h History, k KeyHistory) Evidence {
	ev := Evidence{Final: k.Final, FinalKnown: k.FinalKnown}

	seen := make(map[int64]bool)
	var maxValue int64
	for _, op := range k.Ops {
		switch op.Outcome {
		case OutcomeOK:
			ev.Acknowledged++
			if seen[op.Value] {
				ev.DuplicateValues++
			}
			seen[op.Value] = true
			maxValue = max(maxValue, op.Value)
		case OutcomeUnknown:
			ev.Unknown++
		}
	}

	ev.Lost = ev.DuplicateValues
	if k.FinalKnown {
		ev.Lost = max(ev.Lost, ev.Acknowledged-k.Final)
		ev.Extra = max(0, k.Final-ev.Acknowledged-ev.Unknown)
	}
	ev.BoundHolds = k.FinalKnown && ev.Acknowledged <= k.Final &&
		k.Final <= ev.Acknowledged+ev.Unknown

	if h.Conditional {
		top := maxValue
		if k.FinalKnown {
			top = max(top, k.Final)
		}
		ev.Exceeded = max(0, top-h.Max)
	}
	return ev
}

// verdictOf turns the evidence into a verdict.
func verdictOf(h History, ev Evidence) Verdict {
	v := Verdict{Evidence: ev}

	if ev.Exceeded > 0 {
		v.Problems = append(v.Problems, fmt.Sprintf("exceeded max %d by %d", h.Max, ev.Exceeded))
	}
	if ev.Lost > 0 {
		v.Problems = append(v.Problems, lostWords(ev))
	}
	if ev.Extra > 0 {
		v.Problems = append(v.Problems, fmt.Sprintf(
			"%d more increments applied than acknowledged or unknown: "+
				"some reported as failed were applied", ev.Extra))
	}

	switch {
	case ev.Exceeded > 0:
		v.ID = VerdictExceededMax
	case ev.Lost > 0:
		v.ID = VerdictLostUpdates
	case ev.Extra > 0:
		v.ID = VerdictExtraUpdates
	case opCount(h) == 0:
		v.ID = VerdictInconclusive
		v.Summary = "inconclusive: no increment ran"
		return v
	case !ev.FinalKnown:
		v.ID = VerdictInconclusive
		v.Summary = "inconclusive: a final value could not be read back"
		return v
	case ev.Unknown > 0:
		v.ID = VerdictInconclusive
		v.Summary = fmt.Sprintf("inconclusive: %d increment(s) with unknown outcome; "+
			"acknowledged %d <= final %d <= acknowledged + unknown %d holds",
			ev.Unknown, ev.Acknowledged, ev.Final, ev.Acknowledged+ev.Unknown)
		return v
	default:
		v.ID = VerdictCorrect
		v.Summary = fmt.Sprintf("correct: %d acknowledged increment(s), final value %d",
			ev.Acknowledged, ev.Final)
		if h.Conditional {
			v.Summary += fmt.Sprintf(", never past max %d", h.Max)
		}
		return v
	}

	v.Summary = strings.Join(v.Problems, "; ")
	if ev.Unknown > 0 {
		v.Summary += fmt.Sprintf(" (with %d unknown outcome(s); the bound "+
			"acknowledged <= final <= acknowledged + unknown %s)", ev.Unknown, holdsWord(ev))
	}
	return v
}

// opCount counts the increments of the history.
func opCount(h History) int {
	n := 0
	for _, k := range h.Keys {
		n += len(k.Ops)
	}
	return n
}

// lostWords describes lost updates with their evidence.
func lostWords(ev Evidence) string {
	var why []string
	if ev.DuplicateValues > 0 {
		why = append(why, fmt.Sprintf("%d returned value(s) repeated", ev.DuplicateValues))
	}
	if ev.FinalKnown && ev.Final < ev.Acknowledged {
		why = append(why, fmt.Sprintf("final value %d below %d acknowledged increments",
			ev.Final, ev.Acknowledged))
	}
	if len(why) == 0 {
		return fmt.Sprintf("lost %d update(s)", ev.Lost)
	}
	return fmt.Sprintf("lost %d update(s): %s", ev.Lost, strings.Join(why, ", "))
}

func holdsWord(ev Evidence) string {
	if ev.BoundHolds {
		return "holds"
	}
	return "does not hold"
}
