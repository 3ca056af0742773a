package emulator

import (
	"context"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Values of the `err` trailer, which the SDK reads to tell errors with the
// same gRPC code apart.
const errItemSizeLimit = "item_size_limit_exceeded"

// Limits of the emulator, those of a default Momento cache.
const (
	// MaxItemSize is the largest key plus value a cache accepts, in bytes.
	MaxItemSize = 5 << 20

	// MaxRecvMsgSize is the largest request the server reads, above the
	// SDK's 5,243,000-byte messages.
	MaxRecvMsgSize = 6 << 20
)

// trailerSetter is the part of a stream or unary context that sets trailers.
type trailerSetter func(md metadata.MD)

func unaryTrailer(ctx context.Context) trailerSetter {
	return func(md metadata.MD) { _ = grpc.SetTrailer(ctx, md) }
}

func streamTrailer(ss grpc.ServerStream) trailerSetter {
	return ss.SetTrailer
}

// errWithCause returns a status error and sets the `err` trailer to cause.
func errWithCause(t trailerSetter, cause string, c codes.Code, format string, args ...any) error {
	t(metadata.Pairs("err", cause))
	return status.Errorf(c, format, args...)
}

func errCacheNotFound(name string) error {
	return status.Errorf(codes.NotFound, "cache not found: %q", name)
}

func errMissingCacheHeader() error {
	return status.Error(codes.InvalidArgument, "the request has no cache header naming a cache")
}

func errItemTooLarge(t trailerSetter, size int) error {
	return errWithCause(t, errItemSizeLimit, codes.ResourceExhausted,
		"item size limit exceeded: key plus value is %d bytes, the limit is %d", size, MaxItemSize)
}

func errInvalid(format string, args ...any) error {
	return status.Error(codes.InvalidArgument, fmt.Sprintf(format, args...))
}

func errUnsupported(fullMethod string) error {
	return status.Errorf(codes.Unimplemented,
		"%s is not supported by the CounterLab emulator", fullMethod)
}
