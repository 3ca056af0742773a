// Package conformance is a test suite for Momento-compatible cache servers,
// written against the official Go SDK's public API only, so that it runs
// unchanged against CounterLab's emulator, momento-local and real Momento.
//
// Call Run from any test with the target to check:
//
//	func TestMyEmulator(t *testing.T) {
//		// A plaintext host:port, reached through the SDK's momento-local
//		// credential provider (our emulator, in-process or standalone, or
//		// momento-local):
//		conformance.Run(t, conformance.Target{Endpoint: "127.0.0.1:32768"})
//	}
//
// or, against real Momento (TLS, with an API key that may create and delete
// caches):
//
//	conformance.Run(t, conformance.Target{APIKey: os.Getenv("MOMENTO_API_KEY")})
//
// Run creates a cache with a unique name (prefix "counterlab-conformance-")
// and deletes it when the test ends, whatever the outcome. Every case is a
// subtest named after what it checks, so `-run 'TestX/Increment'` selects
// some. The suite covers Get, Set, SetIf (every condition), SetIfNotExists,
// Delete, KeysExist, Increment, UpdateTtl, IncreaseTtl, DecreaseTtl,
// ItemGetTtl, ItemGetType, GetBatch, SetBatch, GetWithHash, the SetIfHash
// family, Ping, CreateCache, DeleteCache, ListCaches and FlushCache, and the
// errors of a missing cache, a non-integer or overflowing Increment and an
// item over the 5 MiB size limit, messages up to the SDK's 5,243,000 bytes,
// real-time TTL expiry and concurrent increments.
//
// Some cases only make sense on a local target and say so when they skip:
//   - The momento-local fault headers (return-error, error-rpcs,
//     error-count, delay-ms, delay-rpcs, delay-count, per request-id), sent
//     by the SDK's momento-local metadata middleware, run only against a
//     plaintext Endpoint.
//   - FlushCache has no method in the Go SDK v1.38.0: the suite calls it
//     with plain gRPC, which it does only against a plaintext Endpoint.
//   - Moving the clock needs Target.FastForward, which only an in-process
//     emulator offers (emulator.Server.FastForward).
//
// The package's own test, conformance_test.go, picks its target from the
// environment: MOMENTO_API_KEY selects real Momento, MOMENTO_ENDPOINT a
// plaintext host:port, and with neither it runs an in-process emulator. It
// also runs the suite against the standalone emulator command in a child
// process.
package conformance
