package backends

// CheckIncrement resolves the strategy of an increment on backend and checks
// id and max against it. An empty strategy picks the default for the
// presence of max. limit is the largest max the backend accepts for a
// conditional strategy (MaxLimit, or math.MaxInt64 for none below the int64
// range). An unknown strategy, an empty id, a max for an unconditional
// strategy, or a max outside 1 to limit for a conditional one is
// invalid_input.
func CheckIncrement(backend, strategy, id string, max, limit int64) (Strategy, error) {
	s, ok := LookupStrategy(backend, strategy, max != 0)
	if !ok {
		return s, Errorf(CodeInvalidInput, "%s has no strategy %q", backend, strategy)
	}
	if id == "" {
		return s, Errorf(CodeInvalidInput, "empty counter id")
	}
	if !s.Conditional && max != 0 {
		return s, Errorf(CodeInvalidInput, "strategy %q takes no max (got %d)", s.ID, max)
	}
	if s.Conditional && (max < 1 || max > limit) {
		return s, Errorf(CodeInvalidInput, "strategy %q needs a max from 1 to %d (got %d)",
			s.ID, limit, max)
	}
	return s, nil
}
