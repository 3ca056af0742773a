package conformance

import (
	"testing"
)

// testCase is one check of the suite. Slow cases (those that wait for
// TTLs or delays) run in parallel with each other.
type testCase struct {
	name string
	slow bool
	run  func(t *testing.T, s *suite)
}

// fastForwardCase moves the target's clock, so it runs only against an
// in-process emulator (Target.FastForward).
const fastForwardCase = "TTL/FastForward"

// cases lists the suite, grouped by concern.
func cases() []testCase {
	return []testCase{
		{"Ping", false, testPing},
		{"Control/CreateListDelete", false, testCreateListDelete},
		{"Control/FlushCache", false, testFlushCache},
		{"MissingCache", false, testMissingCache},

		{"Scalar/SetGetDelete", false, testSetGetDelete},
		{"Scalar/EmptyValueIsAHit", false, testEmptyValue},
		{"Scalar/BinaryKeysAndValues", false, testBinary},
		{"Scalar/KeysExist", false, testKeysExist},
		{"Scalar/ItemGetType", false, testItemGetType},
		{"Scalar/Batches", false, testBatches},

		{"Conditions/SetIf", false, testSetIf},
		{"Conditions/SetIfNotExists", false, testSetIfNotExists},
		{"Conditions/Hash", false, testHash},

		{"Increment/Values", false, testIncrementValues},
		{"Increment/Refused", false, testIncrementRefused},
		{"Increment/Concurrent", false, testIncrementConcurrent},

		{"TTL/ItemGetTtl", false, testItemGetTTL},
		{"TTL/Update", false, testUpdateTTL},
		{"TTL/MissingItem", false, testTTLMissing},
		{fastForwardCase, false, testFastForward},
		{"TTL/SetExpires", true, testSetExpires},
		{"TTL/IncrementExpires", true, testIncrementExpires},
		{"TTL/SetIfAbsentExpires", true, testSetIfAbsentExpires},
		{"TTL/UpdateTtlExpires", true, testUpdateTTLExpires},

		{"Limits/ItemSize", false, testItemSize},
		{"Limits/LargestMessage", false, testLargestMessage},

		{"Faults/ErrorCount", false, testFaultErrorCount},
		{"Faults/ErrorPerRequestID", false, testFaultPerRequestID},
		{"Faults/ErrorOnWriteAppliesNothing", false, testFaultWriteNotApplied},
		{"Faults/ErrorEveryTime", false, testFaultErrorEveryTime},
		{"Faults/Delay", true, testFaultDelay},
	}
}

// Run checks target with every case of the suite. The cases run as
// subtests of one subtest named "conformance", which returns when all of
// them are done and the suite's caches are deleted, so a caller may stop
// the target right after Run.
func Run(t *testing.T, target Target) {
	t.Helper()
	if err := target.validate(); err != nil {
		t.Fatal(err)
	}

	t.Run("conformance", func(t *testing.T) {
		t.Logf("conformance: checking %s", target.name())
		c := target.newClient(t)
		s := &suite{tg: target, c: c}
		s.cache = createCache(t, target, c, "data")

		for _, tc := range cases() {
			if tc.name == fastForwardCase && target.FastForward == nil {
				// Not a skip: the case does not apply to a target whose clock
				// the suite cannot move, so it is left out of the run.
				t.Logf("conformance: %s left out: %s has no FastForward", tc.name,
					target.name())
				continue
			}
			t.Run(tc.name, func(t *testing.T) {
				if tc.slow {
					t.Parallel()
				}
				tc.run(t, s)
			})
		}
	})
}

// needLocal skips a case that only a plaintext momento-local style target
// can run.
func needLocal(t *testing.T, s *suite, why string) {
	t.Helper()
	if !s.tg.local() {
		t.Skipf("skipped against %s: %s; it runs against the emulator and momento-local "+
			"(Target.Endpoint)", s.tg.name(), why)
	}
}
