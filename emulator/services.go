package emulator

import (
	"context"
	"strings"
	"unicode"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	pb "github.com/counterlab/counterlab/emulator/protocol"
)

// call is one data-plane request after its prelude: faults applied and the
// cache found.
type call struct {
	ctx   context.Context
	s     *Server
	cache *cache
	now   int64
	rpc   string
}

// begin runs the prelude of a data-plane request: it reads the `cache`
// header, applies faults, and finds the cache.
func (s *Server) begin(ctx context.Context, rpc string) (call, error) {
	name := ""
	if v := metadata.ValueFromIncomingContext(ctx, "cache"); len(v) > 0 {
		name = v[0]
	}

	if err := s.injectFaults(ctx, name, rpc); err != nil {
		return call{}, err
	}

	if name == "" {
		return call{}, errMissingCacheHeader()
	}
	c := s.store.cache(name)
	if c == nil {
		return call{}, errCacheNotFound(name)
	}
	return call{ctx: ctx, s: s, cache: c, now: s.clock.now(), rpc: rpc}, nil
}

// controlFaults applies faults to a control-plane or ping request.
func (s *Server) controlFaults(ctx context.Context, cacheName, rpc string) error {
	return s.injectFaults(ctx, cacheName, rpc)
}

// methodHandler is the unary handler signature of grpc.MethodDesc.
type methodHandler = func(srv any, ctx context.Context, dec func(any) error,
	ic grpc.UnaryServerInterceptor) (any, error)

// dataMethod adapts a data-plane method to a grpc.MethodDesc handler.
func dataMethod[Req any, P interface {
	*Req
	proto.Message
}](full, rpc string, fn func(c call, req P) (proto.Message, error)) methodHandler {
	return unaryMethod(full, func(s *Server, ctx context.Context, req P) (proto.Message, error) {
		c, err := s.begin(ctx, rpc)
		if err != nil {
			return nil, err
		}
		return fn(c, req)
	})
}

// unaryMethod adapts a unary method to a grpc.MethodDesc handler.
func unaryMethod[Req any, P interface {
	*Req
	proto.Message
}](full string,
	fn func(s *Server, ctx context.Context, req P) (proto.Message, error)) methodHandler {
	return func(srv any, ctx context.Context, dec func(any) error,
		ic grpc.UnaryServerInterceptor) (any, error) {
		req := P(new(Req))
		if err := dec(req); err != nil {
			return nil, err
		}

		s := srv.(*Server)
		if ic == nil {
			return answer(fn(s, ctx, req))
		}
		info := &grpc.UnaryServerInfo{Server: srv, FullMethod: "/" + full}
		return ic(ctx, req, info, func(ctx context.Context, r any) (any, error) {
			return answer(fn(s, ctx, r.(P)))
		})
	}
}

// answer turns a typed nil response into an untyped nil.
func answer(m proto.Message, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return m, nil
}

// unsupportedMethod answers Unimplemented, naming the method.
func unsupportedMethod(full string) methodHandler {
	return func(any, context.Context, func(any) error, grpc.UnaryServerInterceptor) (any, error) {
		return nil, errUnsupported(full)
	}
}

// unsupportedStream answers any request to an unknown service or method.
func unsupportedStream(_ any, ss grpc.ServerStream) error {
	full, _ := grpc.MethodFromServerStream(ss)
	return errUnsupported(strings.TrimPrefix(full, "/"))
}

// RPCName returns the momento-local name of a method: "GetBatch" is
// "get-batch", "ItemGetTtl" is "item-get-ttl".
func RPCName(method string) string {
	var b strings.Builder
	for i, r := range method {
		if unicode.IsUpper(r) {
			if i > 0 {
				b.WriteByte('-')
			}
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}

// RPCNames returns the momento-local names of the methods the emulator
// serves, the names a Fault's RPC field takes.
func RPCNames() []string {
	var out []string
	for _, svc := range []struct {
		name    string
		methods []string
	}{
		{pb.ScsService, pb.ScsMethods},
		{pb.PingService, pb.PingMethods},
		{pb.ControlService, pb.ControlMethods},
	} {
		for _, m := range svc.methods {
			if supported(svc.name + "/" + m) {
				out = append(out, RPCName(m))
			}
		}
	}
	return out
}

func supported(full string) bool {
	_, unary := unaryHandlers[full]
	_, stream := streamHandlers[full]
	return unary || stream
}

// Supported reports whether the emulator serves a method, named as
// "cache_client.Scs/Get".
func Supported(fullMethod string) bool { return supported(fullMethod) }

// unaryHandlers are the supported unary methods, by full name.
var unaryHandlers map[string]methodHandler

// streamHandlers are the supported server-streaming methods, by full name.
var streamHandlers map[string]grpc.StreamHandler

func init() {
	unaryHandlers = map[string]methodHandler{}
	for _, m := range scalarMethods() {
		unaryHandlers[m.full] = m.handler
	}
	for _, m := range controlMethods() {
		unaryHandlers[m.full] = m.handler
	}
	streamHandlers = batchMethods()
}

type namedHandler struct {
	full    string
	handler methodHandler
}

// serviceDescs builds the three services with Momento's wire names. Every
// method of the SDK's services is registered; the unsupported ones answer
// Unimplemented with their name.
func serviceDescs() []*grpc.ServiceDesc {
	build := func(service string, methods []string) *grpc.ServiceDesc {
		sd := &grpc.ServiceDesc{
			ServiceName: service,
			HandlerType: (*any)(nil),
			Metadata:    "counterlab_cache.proto",
		}
		for _, m := range methods {
			full := service + "/" + m
			if pb.ServerStreaming[full] {
				h := streamHandlers[full]
				if h == nil {
					h = unsupportedStream
				}
				sd.Streams = append(sd.Streams, grpc.StreamDesc{
					StreamName: m, Handler: h, ServerStreams: true,
				})
				continue
			}
			h := unaryHandlers[full]
			if h == nil {
				h = unsupportedMethod(full)
			}
			sd.Methods = append(sd.Methods, grpc.MethodDesc{MethodName: m, Handler: h})
		}
		return sd
	}
	return []*grpc.ServiceDesc{
		build(pb.ScsService, pb.ScsMethods),
		build(pb.PingService, pb.PingMethods),
		build(pb.ControlService, pb.ControlMethods),
	}
}
