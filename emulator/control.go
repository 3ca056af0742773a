package emulator

// This file serves control_client.ScsControl (CreateCache, DeleteCache,
// ListCaches, FlushCache) and cache_client.Ping.

import (
	"context"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "github.com/counterlab/counterlab/emulator/protocol"
)

func controlMethods() []namedHandler {
	ctl := func(m string) string { return pb.ControlService + "/" + m }
	ping := pb.PingService + "/Ping"
	return []namedHandler{
		{ctl("CreateCache"), unaryMethod(ctl("CreateCache"), createCache)},
		{ctl("DeleteCache"), unaryMethod(ctl("DeleteCache"), deleteCache)},
		{ctl("ListCaches"), unaryMethod(ctl("ListCaches"), listCaches)},
		{ctl("FlushCache"), unaryMethod(ctl("FlushCache"), flushCache)},
		{ping, unaryMethod(ping, pingMethod)},
	}
}

func checkCacheName(name string) error {
	if name == "" {
		return errInvalid("the cache name is empty")
	}
	return nil
}

func createCache(s *Server, ctx context.Context, req *pb.CacheNameRequest) (proto.Message, error) {
	if err := s.controlFaults(ctx, req.Name, "create-cache"); err != nil {
		return nil, err
	}
	if err := checkCacheName(req.Name); err != nil {
		return nil, err
	}
	if !s.store.create(req.Name) {
		return nil, status.Errorf(codes.AlreadyExists, "cache already exists: %q", req.Name)
	}
	return &pb.Empty{}, nil
}

func deleteCache(s *Server, ctx context.Context, req *pb.CacheNameRequest) (proto.Message, error) {
	if err := s.controlFaults(ctx, req.Name, "delete-cache"); err != nil {
		return nil, err
	}
	if err := checkCacheName(req.Name); err != nil {
		return nil, err
	}
	if !s.store.drop(req.Name) {
		return nil, errCacheNotFound(req.Name)
	}
	return &pb.Empty{}, nil
}

func flushCache(s *Server, ctx context.Context, req *pb.CacheNameRequest) (proto.Message, error) {
	if err := s.controlFaults(ctx, req.Name, "flush-cache"); err != nil {
		return nil, err
	}
	if err := checkCacheName(req.Name); err != nil {
		return nil, err
	}
	c := s.store.cache(req.Name)
	if c == nil {
		return nil, errCacheNotFound(req.Name)
	}
	c.flush()
	return &pb.Empty{}, nil
}

// listCaches answers every cache in one page. The limits report the item
// size limit; the emulator enforces no rate, bandwidth or TTL limit, which
// it reports as 0.
func listCaches(s *Server, ctx context.Context, _ *pb.ListCachesRequest) (proto.Message, error) {
	if err := s.controlFaults(ctx, "", "list-caches"); err != nil {
		return nil, err
	}
	names := s.store.names()
	resp := &pb.ListCachesResponse{Caches: make([]*pb.CacheInfo, len(names))}
	for i, n := range names {
		resp.Caches[i] = &pb.CacheInfo{
			Name:        n,
			Limits:      &pb.CacheLimits{ItemSizeKib: MaxItemSize >> 10},
			TopicLimits: &pb.TopicLimits{},
		}
	}
	return resp, nil
}

func pingMethod(s *Server, ctx context.Context, _ *pb.Empty) (proto.Message, error) {
	if err := s.controlFaults(ctx, "", "ping"); err != nil {
		return nil, err
	}
	return &pb.Empty{}, nil
}
