package backends

// Backend names.
const (
	Redis    = "redis"
	DynamoDB = "dynamodb"
	Momento  = "momento"
)

// Strategy ids, stable and part of the API.
const (
	RedisIncr                   = "incr"
	RedisLua                    = "lua"
	DynamoAdd                   = "add"
	DynamoConditional           = "conditional"
	MomentoIncrement            = "increment"
	MomentoSetIfPresentNotEqual = "set-if-present-and-not-equal"
	MomentoSetIfEqual           = "set-if-equal"
)

// Strategy describes one increment algorithm of one backend.
type Strategy struct {
	Backend     string `json:"backend"`
	ID          string `json:"id"`
	Conditional bool   `json:"conditional"`
	// Default marks the strategy used when a request names none: the
	// unconditional one without max, the correct conditional one with max.
	Default bool `json:"default"`
	// RoundTrips is the number of requests per attempt.
	RoundTrips int `json:"roundTrips"`
	// Correct is false for a strategy kept to show that it loses updates.
	Correct bool   `json:"correct"`
	Summary string `json:"summary"`
}

// Strategies lists every strategy, grouped by backend in the order
// redis, dynamodb, momento.
var Strategies = []Strategy{
	{Redis, RedisIncr, false, true, 1, true,
		"INCR: one atomic command; creates the counter at 1."},
	{Redis, RedisLua, true, true, 1, true,
		"One server-side script reads, compares with max and runs INCR atomically."},
	{DynamoDB, DynamoAdd, false, true, 1, true,
		"UpdateItem ADD: one atomic write that creates the item when missing."},
	{DynamoDB, DynamoConditional, true, true, 1, true,
		"UpdateItem ADD with a condition expression: the store refuses it at max."},
	{Momento, MomentoIncrement, false, true, 1, true,
		"Increment: one atomic call; creates the item when missing."},
	{Momento, MomentoSetIfPresentNotEqual, true, false, 2, false,
		"The published algorithm: Get, then SetIfAbsent or SetIfPresentAndNotEqual(max). " +
			"Not a compare-and-swap: two clients that read the same value both write it " +
			"plus one, and one increment is lost."},
	{Momento, MomentoSetIfEqual, true, true, 2, true,
		"Compare-and-swap: Get, then SetIfAbsent or SetIfEqual(current); a racing " +
			"writer makes it retry, with bounded attempts and jittered backoff."},
}

// LookupStrategy finds the strategy id of backend. An empty id picks the
// default: unconditional without max, the correct conditional one with max.
func LookupStrategy(backend, id string, hasMax bool) (Strategy, bool) {
	for _, s := range Strategies {
		if s.Backend != backend {
			continue
		}
		if id == "" && s.Default && s.Conditional == hasMax {
			return s, true
		}
		if id != "" && s.ID == id {
			return s, true
		}
	}
	return Strategy{}, false
}

// StrategiesOf returns the strategies of one backend.
func StrategiesOf(backend string) []Strategy {
	var out []Strategy
	for _, s := range Strategies {
		if s.Backend == backend {
			out = append(out, s)
		}
	}
	return out
}
