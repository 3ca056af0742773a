// Package benchmark holds the emulator's benchmarks; it has no code of its
// own. One run reports, side by side, at 1 and 64 concurrent callers:
// Increment through the real Momento SDK against the emulator; the same
// Increment sent with plain grpc-go (to tell the server's cost from the
// SDK's); an empty
// unary gRPC call (grpc-go's health check) over the same kind of
// connection, the protocol's ceiling on the machine; and INCR through
// go-redis against miniredis, for reference. BenchmarkRatio measures the
// emulator's share of the empty call's throughput in one benchmark, and
// BenchmarkMemory the heap one small counter costs.
//
//	go test -run '^$' -bench . -benchtime 5s -count 3 ./emulator/benchmark/
package benchmark
