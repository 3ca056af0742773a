package backends

import (
	"fmt"
	"strconv"
	"strings"
)

// Config is where each backend points and how the server runs, read from the
// environment (see LoadConfig). A zero target field means "embedded".
type Config struct {
	Addr string // COUNTERLAB_ADDR

	RedisURL string // REDIS_URL; empty: embedded miniredis

	DynamoDBEndpoint string // DYNAMODB_ENDPOINT; empty: embedded, "aws": AWS
	DynamoDBTable    string // DYNAMODB_TABLE
	AWSRegion        string // AWS_REGION, used with DYNAMODB_ENDPOINT=aws

	MomentoAPIKey   string // MOMENTO_API_KEY; real Momento
	MomentoEndpoint string // MOMENTO_ENDPOINT; host:port, plaintext
	MomentoCache    string // MOMENTO_CACHE

	// KeyPrefix goes in front of every Redis and Momento key.
	KeyPrefix string // COUNTERLAB_KEY_PREFIX

	// UseConditionalWrites and MaxCounterValue drive the route compatible
	// with the serverless original.
	UseConditionalWrites bool  // USE_CONDITIONAL_WRITES
	MaxCounterValue      int64 // MAX_COUNTER_VALUE
}

// Defaults.
const (
	DefaultAddr            = "127.0.0.1:8080"
	DefaultDynamoDBTable   = "counterlab-counters"
	DefaultMomentoCache    = "counterlab"
	DefaultKeyPrefix       = "counterlab:"
	DefaultMaxCounterValue = 10
)

// DefaultConfig returns the configuration with nothing set.
func DefaultConfig() Config {
	return Config{
		Addr:            DefaultAddr,
		DynamoDBTable:   DefaultDynamoDBTable,
		MomentoCache:    DefaultMomentoCache,
		KeyPrefix:       DefaultKeyPrefix,
		MaxCounterValue: DefaultMaxCounterValue,
	}
}

// LoadConfig reads the configuration through getenv (os.Getenv in main).
// Unset or empty variables keep their defaults.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := DefaultConfig()

	str := func(name string, dst *string) {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			*dst = v
		}
	}
	str("COUNTERLAB_ADDR", &c.Addr)
	str("REDIS_URL", &c.RedisURL)
	str("DYNAMODB_ENDPOINT", &c.DynamoDBEndpoint)
	str("DYNAMODB_TABLE", &c.DynamoDBTable)
	str("AWS_REGION", &c.AWSRegion)
	str("MOMENTO_API_KEY", &c.MomentoAPIKey)
	str("MOMENTO_ENDPOINT", &c.MomentoEndpoint)
	str("MOMENTO_CACHE", &c.MomentoCache)
	str("COUNTERLAB_KEY_PREFIX", &c.KeyPrefix)

	if v := strings.TrimSpace(getenv("USE_CONDITIONAL_WRITES")); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("USE_CONDITIONAL_WRITES=%q: want true or false", v)
		}
		c.UseConditionalWrites = b
	}
	if v := strings.TrimSpace(getenv("MAX_COUNTER_VALUE")); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 1 || n > MaxLimit {
			return c, fmt.Errorf("MAX_COUNTER_VALUE=%q: want an integer from 1 to %d", v, MaxLimit)
		}
		c.MaxCounterValue = n
	}

	if c.MomentoAPIKey != "" && c.MomentoEndpoint != "" {
		return c, fmt.Errorf("MOMENTO_API_KEY and MOMENTO_ENDPOINT are both set: choose one")
	}
	return c, nil
}

// MaxLimit is the largest max a conditional increment accepts: 2^53, the
// largest integer that JSON clients in every language read exactly.
const MaxLimit = 1 << 53
