// Package backends holds what every store has in common: the Backend
// interface, the strategies, the error type with its codes, and the target
// configuration read from the environment.
//
// Each store lives in its own sub-package (redis, dynamodb, momento) and is
// reached through its real client library. The embedded sub-package starts
// in-process targets when none is configured.
package backends

import (
	"context"
)

// Backend is one store behind one target. Implementations are safe for
// concurrent use.
type Backend interface {
	// Name is the backend's id in the API: "redis", "dynamodb" or "momento".
	Name() string

	// Increment adds one to the counter id with the named strategy. max is
	// the bound of a conditional strategy and must be 0 for an unconditional
	// one. Errors are *Error values with a Code.
	Increment(ctx context.Context, strategy, id string, max int64) (Result, error)

	// Get reads the counter id. A missing counter reads as 0, Exists false.
	Get(ctx context.Context, id string) (Reading, error)

	// Reset deletes the counter id. Deleting a missing counter is not an error.
	Reset(ctx context.Context, id string) error

	// Target describes where the backend points.
	Target() Target

	// Health checks that the target answers, creating the table or cache
	// first if an earlier attempt could not.
	Health(ctx context.Context) error

	// Close releases the client's connections.
	Close() error
}

// Result is the outcome of one successful increment.
type Result struct {
	// Value is the counter after this increment.
	Value int64
	// RoundTrips is the number of requests sent to the store.
	RoundTrips int
	// Attempts is the number of read-modify-write attempts (1 for strategies
	// that do not retry).
	Attempts int
}

// Reading is a counter as read from the store.
type Reading struct {
	Value  int64
	Exists bool
}

// Target kinds.
const (
	KindEmbedded = "embedded" // started in-process by serve
	KindLocal    = "local"    // a server on this machine or network
	KindCloud    = "cloud"    // the managed service
)

// Target describes where a backend points, for display. Address never
// carries a secret.
type Target struct {
	Kind    string `json:"kind"`
	Address string `json:"address"`
	// Library is the client library and its version, e.g.
	// "github.com/redis/go-redis/v9 v9.23.0".
	Library string `json:"library"`
}
