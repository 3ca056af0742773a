package emulator

// This file serves the scalar methods of cache_client.Scs: Get,
// GetWithHash, Set, SetIf, SetIfHash, SetIfNotExists, Delete, KeysExist,
// Increment, UpdateTtl, ItemGetTtl and ItemGetType.

import (
	"bytes"
	"crypto/sha256"
	"time"
	"unsafe"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	pb "github.com/counterlab/counterlab/emulator/protocol"
)

func scalarMethods() []namedHandler {
	scs := func(m string) string { return pb.ScsService + "/" + m }
	return []namedHandler{
		{scs("Get"), dataMethod(scs("Get"), "get", get)},
		{scs("GetWithHash"), dataMethod(scs("GetWithHash"), "get-with-hash", getWithHash)},
		{scs("Set"), dataMethod(scs("Set"), "set", set)},
		{scs("SetIf"), dataMethod(scs("SetIf"), "set-if", setIf)},
		{scs("SetIfHash"), dataMethod(scs("SetIfHash"), "set-if-hash", setIfHash)},
		{scs("SetIfNotExists"), dataMethod(scs("SetIfNotExists"), "set-if-not-exists",
			setIfNotExists)},
		{scs("Delete"), dataMethod(scs("Delete"), "delete", del)},
		{scs("KeysExist"), dataMethod(scs("KeysExist"), "keys-exist", keysExist)},
		{scs("Increment"), dataMethod(scs("Increment"), "increment", increment)},
		{scs("UpdateTtl"), dataMethod(scs("UpdateTtl"), "update-ttl", updateTTL)},
		{scs("ItemGetTtl"), dataMethod(scs("ItemGetTtl"), "item-get-ttl", itemGetTTL)},
		{scs("ItemGetType"), dataMethod(scs("ItemGetType"), "item-get-type", itemGetType)},
	}
}

// view returns the bytes of s without copying; the result is only read
// (by the response marshaller).
func view(s string) []byte {
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// hashOf is the hash GetWithHash and SetIfHash report: SHA-256 of the value.
func hashOf(value []byte) []byte {
	h := sha256.Sum256(value)
	return h[:]
}

func checkKey(key []byte) error {
	if len(key) == 0 {
		return errInvalid("the item key is empty")
	}
	return nil
}

// checkWrite validates the key, size and TTL of a write.
func (c call) checkWrite(key, value []byte, ttlMillis uint64) error {
	if err := checkKey(key); err != nil {
		return err
	}
	if size := len(key) + len(value); size > MaxItemSize {
		return errItemTooLarge(unaryTrailer(c.ctx), size)
	}
	if ttlMillis == 0 {
		return errInvalid("the TTL is 0 milliseconds; it must be positive")
	}
	return nil
}

func get(c call, req *pb.GetRequest) (proto.Message, error) {
	if err := checkKey(req.Key); err != nil {
		return nil, err
	}
	it, ok := c.cache.get(req.Key, c.now)
	if !ok {
		return &pb.GetResponse{Result: pb.CacheResult_CACHE_RESULT_MISS}, nil
	}
	return &pb.GetResponse{Result: pb.CacheResult_CACHE_RESULT_HIT, Value: view(it.value)}, nil
}

func getWithHash(c call, req *pb.GetWithHashRequest) (proto.Message, error) {
	if err := checkKey(req.Key); err != nil {
		return nil, err
	}
	it, ok := c.cache.get(req.Key, c.now)
	if !ok {
		return &pb.GetWithHashResponse{
			Outcome: &pb.GetWithHashResponse_Miss{Miss: &pb.Empty{}},
		}, nil
	}
	v := view(it.value)
	return &pb.GetWithHashResponse{Outcome: &pb.GetWithHashResponse_Hit{
		Hit: &pb.ValueAndHash{Value: v, Hash: hashOf(v)},
	}}, nil
}

func set(c call, req *pb.SetRequest) (proto.Message, error) {
	if err := c.checkWrite(req.Key, req.Value, req.TtlMs); err != nil {
		return nil, err
	}
	c.cache.set(req.Key, req.Value, expiresAt(c.now, req.TtlMs))
	return &pb.SetResponse{Result: pb.CacheResult_CACHE_RESULT_OK}, nil
}

// writeOutcome answers SetIf and SetIfNotExists.
func writeOutcome(stored bool) *pb.WriteOutcome {
	if stored {
		return &pb.WriteOutcome{Outcome: &pb.WriteOutcome_Stored{Stored: &pb.Empty{}}}
	}
	return &pb.WriteOutcome{Outcome: &pb.WriteOutcome_NotStored{NotStored: &pb.Empty{}}}
}

// setIfCondition returns the test of a SetIf condition on the current item.
func setIfCondition(req *pb.SetIfRequest) (func(it item, ok bool) bool, error) {
	eq := func(it item, v []byte) bool { return it.value == string(v) }
	switch w := req.When.(type) {
	case *pb.SetIfRequest_IfPresent:
		return func(_ item, ok bool) bool { return ok }, nil
	case *pb.SetIfRequest_IfPresentAndNotEqual:
		v := w.IfPresentAndNotEqual.GetValue()
		return func(it item, ok bool) bool { return ok && !eq(it, v) }, nil
	case *pb.SetIfRequest_IfAbsent:
		return func(_ item, ok bool) bool { return !ok }, nil
	case *pb.SetIfRequest_IfEqual:
		v := w.IfEqual.GetValue()
		return func(it item, ok bool) bool { return ok && eq(it, v) }, nil
	case *pb.SetIfRequest_IfAbsentOrEqual:
		v := w.IfAbsentOrEqual.GetValue()
		return func(it item, ok bool) bool { return !ok || eq(it, v) }, nil
	case *pb.SetIfRequest_IfNotEqual:
		v := w.IfNotEqual.GetValue()
		return func(it item, ok bool) bool { return !ok || !eq(it, v) }, nil
	default:
		return nil, errInvalid("SetIf has no condition")
	}
}

func setIf(c call, req *pb.SetIfRequest) (proto.Message, error) {
	if err := c.checkWrite(req.Key, req.Value, req.TtlMs); err != nil {
		return nil, err
	}
	cond, err := setIfCondition(req)
	if err != nil {
		return nil, err
	}
	stored := c.cache.setIf(req.Key, req.Value, expiresAt(c.now, req.TtlMs), c.now, cond)
	return writeOutcome(stored), nil
}

func setIfNotExists(c call, req *pb.SetIfNotExistsRequest) (proto.Message, error) {
	if err := c.checkWrite(req.Key, req.Value, req.TtlMs); err != nil {
		return nil, err
	}
	stored := c.cache.setIf(req.Key, req.Value, expiresAt(c.now, req.TtlMs), c.now,
		func(_ item, ok bool) bool { return !ok })
	return writeOutcome(stored), nil
}

// setIfHashCondition returns the test of a SetIfHash condition.
func setIfHashCondition(req *pb.SetIfHashRequest) (func(it item, ok bool) bool, error) {
	same := func(it item, h []byte) bool { return bytes.Equal(hashOf(view(it.value)), h) }
	switch w := req.When.(type) {
	case *pb.SetIfHashRequest_IfPresentAndHashNotEqual:
		h := w.IfPresentAndHashNotEqual.GetHash()
		return func(it item, ok bool) bool { return ok && !same(it, h) }, nil
	case *pb.SetIfHashRequest_IfPresentAndHashEqual:
		h := w.IfPresentAndHashEqual.GetHash()
		return func(it item, ok bool) bool { return ok && same(it, h) }, nil
	case *pb.SetIfHashRequest_IfAbsentOrHashEqual:
		h := w.IfAbsentOrHashEqual.GetHash()
		return func(it item, ok bool) bool { return !ok || same(it, h) }, nil
	case *pb.SetIfHashRequest_IfAbsentOrHashNotEqual:
		h := w.IfAbsentOrHashNotEqual.GetHash()
		return func(it item, ok bool) bool { return !ok || !same(it, h) }, nil
	case *pb.SetIfHashRequest_Always:
		return func(item, bool) bool { return true }, nil
	default:
		return nil, errInvalid("SetIfHash has no condition")
	}
}

func setIfHash(c call, req *pb.SetIfHashRequest) (proto.Message, error) {
	if err := c.checkWrite(req.Key, req.Value, req.TtlMs); err != nil {
		return nil, err
	}
	cond, err := setIfHashCondition(req)
	if err != nil {
		return nil, err
	}
	if !c.cache.setIf(req.Key, req.Value, expiresAt(c.now, req.TtlMs), c.now, cond) {
		return &pb.SetIfHashResponse{
			Outcome: &pb.SetIfHashResponse_NotStored{NotStored: &pb.Empty{}},
		}, nil
	}
	return &pb.SetIfHashResponse{Outcome: &pb.SetIfHashResponse_Stored{
		Stored: &pb.NewHash{Hash: hashOf(req.Value)},
	}}, nil
}

func del(c call, req *pb.DeleteRequest) (proto.Message, error) {
	if err := checkKey(req.Key); err != nil {
		return nil, err
	}
	c.cache.remove(req.Key)
	return &pb.Empty{}, nil
}

func keysExist(c call, req *pb.KeysExistRequest) (proto.Message, error) {
	out := make([]bool, len(req.Keys))
	for i, k := range req.Keys {
		if err := checkKey(k); err != nil {
			return nil, err
		}
		_, out[i] = c.cache.get(k, c.now)
	}
	return &pb.KeysExistResponse{Exists: out}, nil
}

func increment(c call, req *pb.IncrementRequest) (proto.Message, error) {
	if err := c.checkWrite(req.Key, nil, req.TtlMs); err != nil {
		return nil, err
	}
	v, fail := c.cache.increment(req.Key, req.Amount, expiresAt(c.now, req.TtlMs), c.now)
	switch fail {
	case incrementNotInteger:
		return nil, status.Error(codes.FailedPrecondition,
			"the stored value is not an integer; it was left unchanged")
	case incrementOverflow:
		return nil, status.Errorf(codes.FailedPrecondition,
			"the increment by %d would overflow a 64-bit integer; the value was left unchanged",
			req.Amount)
	}
	return &pb.IncrementResponse{Value: v}, nil
}

func updateTTL(c call, req *pb.UpdateTtlRequest) (proto.Message, error) {
	if err := checkKey(req.Key); err != nil {
		return nil, err
	}

	var change func(old int64) (int64, bool)
	switch w := req.Change.(type) {
	case *pb.UpdateTtlRequest_IncreaseToMs:
		exp := expiresAt(c.now, w.IncreaseToMs)
		change = func(old int64) (int64, bool) { return exp, exp > old }
	case *pb.UpdateTtlRequest_DecreaseToMs:
		exp := expiresAt(c.now, w.DecreaseToMs)
		change = func(old int64) (int64, bool) { return exp, exp < old }
	case *pb.UpdateTtlRequest_OverwriteToMs:
		exp := expiresAt(c.now, w.OverwriteToMs)
		change = func(int64) (int64, bool) { return exp, true }
	default:
		return nil, errInvalid("UpdateTtl has no TTL change")
	}

	found, applied := c.cache.updateExpiry(req.Key, c.now, change)
	switch {
	case !found:
		return &pb.UpdateTtlResponse{
			Outcome: &pb.UpdateTtlResponse_Missing{Missing: &pb.Empty{}},
		}, nil
	case applied:
		return &pb.UpdateTtlResponse{
			Outcome: &pb.UpdateTtlResponse_Applied{Applied: &pb.Empty{}},
		}, nil
	default:
		return &pb.UpdateTtlResponse{
			Outcome: &pb.UpdateTtlResponse_NotApplied{NotApplied: &pb.Empty{}},
		}, nil
	}
}

func itemGetTTL(c call, req *pb.ItemGetTtlRequest) (proto.Message, error) {
	if err := checkKey(req.Key); err != nil {
		return nil, err
	}
	it, ok := c.cache.get(req.Key, c.now)
	if !ok {
		return &pb.ItemGetTtlResponse{
			Outcome: &pb.ItemGetTtlResponse_Missing{Missing: &pb.Empty{}},
		}, nil
	}
	left := uint64((it.expires - c.now) / int64(time.Millisecond))
	return &pb.ItemGetTtlResponse{Outcome: &pb.ItemGetTtlResponse_Found{
		Found: &pb.RemainingTtl{RemainingMs: left},
	}}, nil
}

func itemGetType(c call, req *pb.ItemGetTypeRequest) (proto.Message, error) {
	if err := checkKey(req.Key); err != nil {
		return nil, err
	}
	if _, ok := c.cache.get(req.Key, c.now); !ok {
		return &pb.ItemGetTypeResponse{
			Outcome: &pb.ItemGetTypeResponse_Missing{Missing: &pb.Empty{}},
		}, nil
	}
	return &pb.ItemGetTypeResponse{Outcome: &pb.ItemGetTypeResponse_Found{
		Found: &pb.ItemKindFound{Kind: pb.ItemKind_ITEM_KIND_SCALAR},
	}}, nil
}
