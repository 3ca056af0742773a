package backends

import (
	"math"
	"testing"
)

func TestCheckIncrement(t *testing.T) {
	const top = int64(MaxLimit)
	cases := []struct {
		name     string
		backend  string
		strategy string
		id       string
		max      int64
		limit    int64
		want     string // the strategy id picked; "" when the call is invalid_input
	}{
		{"redis incr", Redis, RedisIncr, "c", 0, top, RedisIncr},
		{"redis lua", Redis, RedisLua, "c", 10, top, RedisLua},
		{"dynamodb add", DynamoDB, DynamoAdd, "c", 0, top, DynamoAdd},
		{"dynamodb conditional", DynamoDB, DynamoConditional, "c", 1, top, DynamoConditional},
		{"momento increment", Momento, MomentoIncrement, "c", 0, top, MomentoIncrement},
		{"momento published", Momento, MomentoSetIfPresentNotEqual, "c", 5, top,
			MomentoSetIfPresentNotEqual},
		{"momento set-if-equal", Momento, MomentoSetIfEqual, "c", 5, top, MomentoSetIfEqual},
		{"max at the limit", Redis, RedisLua, "c", top, top, RedisLua},
		{"max at the int64 top", Momento, MomentoSetIfEqual, "c", math.MaxInt64,
			math.MaxInt64, MomentoSetIfEqual},

		{"default without max, redis", Redis, "", "c", 0, top, RedisIncr},
		{"default with max, redis", Redis, "", "c", 3, top, RedisLua},
		{"default without max, dynamodb", DynamoDB, "", "c", 0, top, DynamoAdd},
		{"default with max, dynamodb", DynamoDB, "", "c", 3, top, DynamoConditional},
		{"default without max, momento", Momento, "", "c", 0, top, MomentoIncrement},
		{"default with max, momento", Momento, "", "c", 3, top, MomentoSetIfEqual},

		{"unknown strategy", Redis, "decr", "c", 0, top, ""},
		{"strategy of another backend", DynamoDB, RedisIncr, "c", 0, top, ""},
		{"unknown backend", "memcached", RedisIncr, "c", 0, top, ""},
		{"empty id", Momento, MomentoIncrement, "", 0, top, ""},
		{"empty id with the default", DynamoDB, "", "", 5, top, ""},
		{"unconditional with max", Redis, RedisIncr, "c", 5, top, ""},
		{"unconditional with negative max", DynamoDB, DynamoAdd, "c", -1, top, ""},
		{"conditional without max", Momento, MomentoSetIfEqual, "c", 0, top, ""},
		{"conditional with negative max", Redis, RedisLua, "c", -1, top, ""},
		{"conditional above the limit", DynamoDB, DynamoConditional, "c", top + 1, top, ""},
		{"published above the limit", Momento, MomentoSetIfPresentNotEqual, "c", 11, 10, ""},
		// A negative max picks the conditional default, which refuses it.
		{"default with negative max", Momento, "", "c", -1, math.MaxInt64, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := CheckIncrement(tc.backend, tc.strategy, tc.id, tc.max, tc.limit)
			if tc.want == "" {
				if got := ErrorCode(err); err == nil || got != CodeInvalidInput {
					t.Fatalf("got %+v, %v, want code %s", s, err, CodeInvalidInput)
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want strategy %s", err, tc.want)
			}
			if s.Backend != tc.backend || s.ID != tc.want {
				t.Fatalf("got %s/%s, want %s/%s", s.Backend, s.ID, tc.backend, tc.want)
			}
		})
	}
}
