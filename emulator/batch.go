package emulator

// This file serves the server-streaming methods of cache_client.Scs:
// GetBatch and SetBatch. Results come in the order of the request's keys.

import (
	"google.golang.org/grpc"

	pb "github.com/counterlab/counterlab/emulator/protocol"
)

func batchMethods() map[string]grpc.StreamHandler {
	return map[string]grpc.StreamHandler{
		pb.ScsService + "/GetBatch": getBatch,
		pb.ScsService + "/SetBatch": setBatch,
	}
}

func getBatch(srv any, ss grpc.ServerStream) error {
	req := &pb.GetBatchRequest{}
	if err := ss.RecvMsg(req); err != nil {
		return err
	}
	c, err := srv.(*Server).begin(ss.Context(), "get-batch")
	if err != nil {
		return err
	}
	for _, g := range req.Gets {
		if err := checkKey(g.Key); err != nil {
			return err
		}
	}

	for _, g := range req.Gets {
		resp := &pb.GetResponse{Result: pb.CacheResult_CACHE_RESULT_MISS}
		if it, ok := c.cache.get(g.Key, c.now); ok {
			resp = &pb.GetResponse{Result: pb.CacheResult_CACHE_RESULT_HIT, Value: view(it.value)}
		}
		if err := ss.SendMsg(resp); err != nil {
			return err
		}
	}
	return nil
}

func setBatch(srv any, ss grpc.ServerStream) error {
	req := &pb.SetBatchRequest{}
	if err := ss.RecvMsg(req); err != nil {
		return err
	}
	c, err := srv.(*Server).begin(ss.Context(), "set-batch")
	if err != nil {
		return err
	}

	// Check every item first: the SDK understands only OK results, so a
	// batch either fails as a whole or stores every item.
	for _, it := range req.Sets {
		if err := checkKey(it.Key); err != nil {
			return err
		}
		if size := len(it.Key) + len(it.Value); size > MaxItemSize {
			return errItemTooLarge(streamTrailer(ss), size)
		}
		if it.TtlMs == 0 {
			return errInvalid("the TTL is 0 milliseconds; it must be positive")
		}
	}

	for _, it := range req.Sets {
		c.cache.set(it.Key, it.Value, expiresAt(c.now, it.TtlMs))
		if err := ss.SendMsg(&pb.SetResponse{Result: pb.CacheResult_CACHE_RESULT_OK}); err != nil {
			return err
		}
	}
	return nil
}
