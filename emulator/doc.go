// Package emulator is an in-process Momento cache server for tests and local
// runs: a gRPC server speaking Momento's wire protocol (cache_client.Scs,
// cache_client.Ping and control_client.ScsControl) well enough that the
// official Go SDK, connected through its momento-local credential provider,
// works against it unchanged.
//
// In a test:
//
//	s := emulator.RunT(t)          // closed by t.Cleanup
//	s.CreateCache("counters")
//	client := s.Client(t)          // a ready momento.CacheClient
//	// ... exercise code that uses client, or dial s.Addr() yourself ...
//	s.CheckGet(t, "counters", "hits", "1")
//	s.FastForward(time.Hour)       // expire items without waiting
//
// Items expire at their TTL in real time; FastForward moves the emulator's
// clock forward on top of that. Faults (delays and errors) can be set from
// Go with AddFault, or per request with the headers of the SDK's
// momento-local metadata middleware. Main is the standalone command.
//
// Semantics worth knowing:
//   - A data call on a missing cache fails NotFound (the SDK's
//     CacheNotFoundError); error causes travel in the `err` trailer.
//   - Increment on a missing key creates it with the amount, stored as
//     decimal text. On a value that is not a base-10 int64 it fails
//     FailedPrecondition, and so does an increment past the int64 range; in
//     both cases the value is left unchanged. Every applied increment sets
//     the item's TTL to the request's TTL (the SDK always sends one; the
//     wire has no "keep the TTL" flag, so the SDK's RefreshTtl=false has no
//     effect).
//   - Key plus value may not exceed MaxItemSize (5 MiB): larger writes fail
//     ResourceExhausted with err=item_size_limit_exceeded.
//   - Empty values are values: a Get answers a hit with an empty body.
package emulator
