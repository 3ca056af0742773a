package emulator

import (
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"
)

func TestIncrementEdges(t *testing.T) {
	tests := []struct {
		name    string
		initial *string
		amount  int64
		want    int64
		fail    incrementError
	}{
		{"missing creates", nil, 7, 7, incrementOK},
		{"missing negative", nil, -3, -3, incrementOK},
		{"to max", strp(strconv.FormatInt(math.MaxInt64-1, 10)), 1, math.MaxInt64, incrementOK},
		{"past max", strp(strconv.FormatInt(math.MaxInt64, 10)), 1, 0, incrementOverflow},
		{"to min", strp(strconv.FormatInt(math.MinInt64+1, 10)), -1, math.MinInt64, incrementOK},
		{"past min", strp(strconv.FormatInt(math.MinInt64, 10)), -1, 0, incrementOverflow},
		{"huge amount", strp("1"), math.MaxInt64, 0, incrementOverflow},
		{"leading plus", strp("+4"), 1, 5, incrementOK},
		{"spaces", strp(" 4"), 1, 0, incrementNotInteger},
		{"hex", strp("0x10"), 1, 0, incrementNotInteger},
		{"empty", strp(""), 1, 0, incrementNotInteger},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCache("c")
			key := []byte("k")
			if tt.initial != nil {
				c.set(key, []byte(*tt.initial), 100)
			}

			got, fail := c.increment(key, tt.amount, 100, 0)
			if fail != tt.fail || got != tt.want {
				t.Fatalf("got %d, %v; want %d, %v", got, fail, tt.want, tt.fail)
			}
			it, ok := c.get(key, 0)
			switch {
			case fail == incrementOK && it.value != strconv.FormatInt(tt.want, 10):
				t.Fatalf("stored %q, want %d", it.value, tt.want)
			case fail != incrementOK && (!ok || it.value != *tt.initial):
				t.Fatalf("failed increment changed the value to %q (present %v)", it.value, ok)
			}
		})
	}
}

func strp(s string) *string { return &s }

func TestExpiredItemsAreMissingAndSwept(t *testing.T) {
	c := newCache("c")
	c.set([]byte("old"), []byte("v"), 10)
	c.set([]byte("new"), []byte("v"), 30)

	if _, ok := c.get([]byte("old"), 10); ok {
		t.Fatalf("item at its expiry instant: got present, want missing")
	}
	if got := c.keys(20); !slices.Equal(got, []string{"new"}) {
		t.Fatalf("keys at 20: got %v, want [new]", got)
	}
	if v, fail := c.increment([]byte("old"), 5, 100, 20); fail != incrementOK || v != 5 {
		t.Fatalf("increment of an expired item: got %d, %v; want a fresh 5", v, fail)
	}

	c.set([]byte("gone"), []byte("v"), 15)
	c.sweep(0, shardCount, 20)
	total := 0
	for i := range c.shards {
		total += len(c.shards[i].items)
	}
	if total != 2 {
		t.Fatalf("items after sweep: got %d, want 2 (new and old)", total)
	}
}

func TestExpiresAtSaturates(t *testing.T) {
	now := time.Now().UnixNano()
	if got := expiresAt(now, 1000); got != now+int64(time.Second) {
		t.Fatalf("expiresAt(now, 1000): got %d, want now+1s", got)
	}
	if got := expiresAt(now, math.MaxUint64); got != math.MaxInt64 {
		t.Fatalf("expiresAt(now, MaxUint64): got %d, want MaxInt64", got)
	}
	if got := expiresAt(now, uint64(math.MaxInt64/int64(time.Millisecond))-1); got != math.MaxInt64 {
		t.Fatalf("expiresAt near the limit: got %d, want MaxInt64", got)
	}
}

func TestRPCName(t *testing.T) {
	tests := map[string]string{
		"Get": "get", "GetBatch": "get-batch", "SetIf": "set-if", "KeysExist": "keys-exist",
		"ItemGetTtl": "item-get-ttl", "SortedSetLengthByScore": "sorted-set-length-by-score",
		"SetIfNotExists": "set-if-not-exists", "CreateCache": "create-cache",
	}
	for in, want := range tests {
		if got := RPCName(in); got != want {
			t.Errorf("RPCName(%q): got %q, want %q", in, got, want)
		}
	}
}

func TestHeaderFaultParsing(t *testing.T) {
	s := &Server{}
	tests := []struct {
		name      string
		md        metadata.MD
		rpc       string
		wantDelay time.Duration
		wantCode  string
		wantErr   bool
	}{
		{"none", metadata.Pairs(), "get", 0, "ok", false},
		{"error all rpcs", metadata.Pairs("return-error", "unavailable"), "get", 0, "unavailable", false},
		{"error listed", metadata.Pairs("return-error", "internal", "error-rpcs", "set get"),
			"get", 0, "internal", false},
		{"error not listed", metadata.Pairs("return-error", "internal", "error-rpcs", "set"),
			"get", 0, "ok", false},
		{"comma list", metadata.Pairs("return-error", "internal", "error-rpcs", "set,get"),
			"get", 0, "internal", false},
		{"delay", metadata.Pairs("delay-ms", "25", "delay-rpcs", "get"),
			"get", 25 * time.Millisecond, "ok", false},
		{"bad delay", metadata.Pairs("delay-ms", "soon"), "get", 0, "ok", true},
		{"bad code", metadata.Pairs("return-error", "oops"), "get", 0, "ok", true},
		{"bad count", metadata.Pairs("return-error", "internal", "error-count", "x"),
			"get", 0, "ok", true},
		{"zero count", metadata.Pairs("return-error", "internal", "error-count", "0",
			"request-id", "z"), "get", 0, "ok", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, code, err := s.headerFaults(tt.md, tt.rpc)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error: got %v, want error %v", err, tt.wantErr)
			}
			if d != tt.wantDelay || CodeName(code) != tt.wantCode {
				t.Fatalf("got %v %s, want %v %s", d, CodeName(code), tt.wantDelay, tt.wantCode)
			}
		})
	}
}

func TestSessionsForgetTheOldest(t *testing.T) {
	var ss sessions
	for i := range maxSessions + 1 {
		if !ss.take(strconv.Itoa(i), 1, false) {
			t.Fatalf("session %d: first hit refused", i)
		}
	}
	if len(ss.counts) != maxSessions {
		t.Fatalf("sessions held: got %d, want %d", len(ss.counts), maxSessions)
	}
	if ss.take("1", 1, false) {
		t.Fatalf("session 1: second hit of a count of 1 allowed")
	}
	if !ss.take("0", 1, false) {
		t.Fatalf("session 0, forgotten: hit refused, want a fresh count")
	}
}
