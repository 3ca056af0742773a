// Package protocol holds the emulator's protobuf messages: CounterLab's own
// .proto files, wire-compatible with Momento's cache_client.Scs,
// cache_client.Ping and control_client.ScsControl services (same field
// numbers and types), in the package counterlab.emulator.v1 so that they link
// next to the Momento SDK without name clashes. The service descriptors with
// Momento's wire names live in services.go, written by hand.
//
// The generated files are committed; regenerate them with `go generate` from
// this directory. They were generated with protoc 3.21.12 (libprotoc, Debian
// package protobuf-compiler) and protoc-gen-go v1.36.12, the version of
// google.golang.org/protobuf in go.mod:
//
//	apt-get install -y protobuf-compiler
//	go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
package protocol

//go:generate protoc -I . --go_out=. --go_opt=paths=source_relative counterlab_cache.proto counterlab_control.proto
