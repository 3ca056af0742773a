package conformance

// This file checks Increment: values, refusals that leave the value as it
// was, and atomicity under concurrent clients.

import (
	"math"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/momentohq/client-sdk-go/momento"
)

func testIncrementValues(t *testing.T, s *suite) {
	k := s.key("counter")
	steps := []struct {
		amount int64
		want   int64
	}{
		{5, 5}, // a missing key is created with the amount
		{3, 8},
		{-10, -2},
		{math.MaxInt64, math.MaxInt64 - 2},
	}
	for _, st := range steps {
		got, err := s.increment(t, k, st.amount)
		if err != nil {
			t.Fatalf("Increment(%q, %d): %v", k, st.amount, err)
		}
		if got != st.want {
			t.Fatalf("Increment(%q, %d): got %d, want %d", k, st.amount, got, st.want)
		}
		// The value is stored as decimal text, readable with Get.
		s.checkValue(t, k, strconv.FormatInt(st.want, 10))
	}

	// An integer written with Set counts on.
	k2 := s.key("set-counter")
	s.set(t, k2, "41", 0)
	if got, err := s.increment(t, k2, 1); err != nil || got != 42 {
		t.Fatalf("Increment of a Set \"41\": got %d, %v; want 42", got, err)
	}
	s.checkValue(t, k2, "42")

	k3 := s.key("negative-start")
	if got, err := s.increment(t, k3, -7); err != nil || got != -7 {
		t.Fatalf("Increment of a missing key by -7: got %d, %v; want -7", got, err)
	}
}

func testIncrementRefused(t *testing.T, s *suite) {
	tests := []struct {
		name    string
		initial string
		amount  int64
	}{
		{"not an integer", "abc", 1},
		{"empty value", "", 1},
		{"decimal fraction", "1.5", 1},
		{"integer then text", "12abc", 1},
		{"past int64 max", strconv.FormatInt(math.MaxInt64, 10), 1},
		{"past int64 min", strconv.FormatInt(math.MinInt64, 10), -1},
		{"stored beyond int64", "9223372036854775808", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := s.key("refused")
			s.set(t, k, tt.initial, 0)

			got, err := s.increment(t, k, tt.amount)
			if err == nil {
				t.Fatalf("Increment of %q by %d: got %d, want %q", tt.initial, tt.amount, got,
					momento.FailedPreconditionError)
			}
			wantCode(t, "Increment of "+strconv.Quote(tt.initial), err,
				momento.FailedPreconditionError)
			s.checkValue(t, k, tt.initial)
		})
	}
}

// testIncrementConcurrent runs increments of one key from several clients
// at once: the values returned are exactly 1..N, each once.
func testIncrementConcurrent(t *testing.T, s *suite) {
	const workers, each = 8, 20
	clients := []momento.CacheClient{s.c, s.tg.newClient(t)}
	k := s.key("concurrent")

	var (
		mu   sync.Mutex
		got  []int64
		errs []error
		wg   sync.WaitGroup
	)
	for w := range workers {
		wg.Go(func() {
			c := clients[w%len(clients)]
			for range each {
				v, err := incrementOn(t, c, s.cache, k, 1)
				mu.Lock()
				if err != nil {
					errs = append(errs, err)
				} else {
					got = append(got, v)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()

	if len(errs) > 0 {
		t.Fatalf("%d of %d concurrent increments failed; first: %v", len(errs),
			workers*each, errs[0])
	}
	slices.Sort(got)
	for i, v := range got {
		if v != int64(i+1) {
			t.Fatalf("concurrent increments: sorted values %v..., want 1..%d each once",
				got[:min(len(got), i+3)], workers*each)
		}
	}
	s.checkValue(t, k, strconv.Itoa(workers*each))
}
