package conformance

// This file checks the unconditional scalar methods: Get, Set, Delete,
// KeysExist, ItemGetType, GetBatch and SetBatch.

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/momentohq/client-sdk-go/momento"
	"github.com/momentohq/client-sdk-go/responses"
)

func testSetGetDelete(t *testing.T, s *suite) {
	k := s.key("scalar")
	s.checkMiss(t, k)

	s.set(t, k, "v1", 0)
	s.checkValue(t, k, "v1")
	s.set(t, k, "v2", 0)
	s.checkValue(t, k, "v2")

	resp, err := s.c.Delete(callCtx(t), &momento.DeleteRequest{
		CacheName: s.cache, Key: momento.String(k),
	})
	if err != nil || !is[responses.DeleteSuccess](resp) {
		t.Fatalf("Delete(%q): got %T, %v; want success", k, resp, err)
	}
	s.checkMiss(t, k)

	resp, err = s.c.Delete(callCtx(t), &momento.DeleteRequest{
		CacheName: s.cache, Key: momento.String(s.key("never-set")),
	})
	if err != nil || !is[responses.DeleteSuccess](resp) {
		t.Fatalf("Delete of a missing key: got %T, %v; want success", resp, err)
	}
}

func testEmptyValue(t *testing.T, s *suite) {
	k := s.key("empty")
	s.set(t, k, "", 0)

	resp, err := s.c.Get(callCtx(t), &momento.GetRequest{
		CacheName: s.cache, Key: momento.String(k),
	})
	if err != nil {
		t.Fatalf("Get(%q): %v", k, err)
	}
	hit, ok := as[responses.GetHit](resp)
	if !ok {
		t.Fatalf("Get of an empty value: got %T, want a hit", resp)
	}
	if got := hit.ValueByte(); len(got) != 0 {
		t.Fatalf("Get of an empty value: got %d bytes, want none", len(got))
	}
}

func testBinary(t *testing.T, s *suite) {
	key := append([]byte(s.key("bin")), 0x00, 0xff, 0x80, '\n')
	value := make([]byte, 256)
	for i := range value {
		value[i] = byte(255 - i)
	}

	if _, err := s.c.Set(callCtx(t), &momento.SetRequest{
		CacheName: s.cache, Key: momento.Bytes(key), Value: momento.Bytes(value),
	}); err != nil {
		t.Fatalf("Set of binary bytes: %v", err)
	}
	resp, err := s.c.Get(callCtx(t), &momento.GetRequest{
		CacheName: s.cache, Key: momento.Bytes(key),
	})
	if err != nil {
		t.Fatalf("Get of a binary key: %v", err)
	}
	hit, ok := as[responses.GetHit](resp)
	if !ok || !bytes.Equal(hit.ValueByte(), value) {
		t.Fatalf("Get of a binary key: got %T %x, want the 256 bytes stored", resp, hitBytes(resp))
	}
}

func hitBytes(resp responses.GetResponse) []byte {
	if hit, ok := as[responses.GetHit](resp); ok {
		return hit.ValueByte()
	}
	return nil
}

func testKeysExist(t *testing.T, s *suite) {
	a, b, empty := s.key("a"), s.key("b"), s.key("empty")
	s.set(t, a, "1", 0)
	s.set(t, empty, "", 0)

	resp, err := s.c.KeysExist(callCtx(t), &momento.KeysExistRequest{
		CacheName: s.cache,
		Keys:      []momento.Key{momento.String(a), momento.String(b), momento.String(empty)},
	})
	if err != nil {
		t.Fatalf("KeysExist: %v", err)
	}
	got, ok := as[responses.KeysExistSuccess](resp)
	if !ok {
		t.Fatalf("KeysExist: got %T, want success", resp)
	}
	if want := []bool{true, false, true}; !slices.Equal(got.Exists(), want) {
		t.Fatalf("KeysExist(set, missing, empty value): got %v, want %v", got.Exists(), want)
	}
}

func testItemGetType(t *testing.T, s *suite) {
	k := s.key("typed")
	s.set(t, k, "v", 0)

	resp, err := s.c.ItemGetType(callCtx(t), &momento.ItemGetTypeRequest{
		CacheName: s.cache, Key: momento.String(k),
	})
	hit, ok := as[responses.ItemGetTypeHit](resp)
	if err != nil || !ok || hit.Type() != responses.ItemTypeScalar {
		t.Fatalf("ItemGetType of a scalar: got %#v, %v; want a scalar hit", resp, err)
	}

	resp, err = s.c.ItemGetType(callCtx(t), &momento.ItemGetTypeRequest{
		CacheName: s.cache, Key: momento.String(s.key("missing")),
	})
	if err != nil || !is[responses.ItemGetTypeMiss](resp) {
		t.Fatalf("ItemGetType of a missing key: got %T, %v; want a miss", resp, err)
	}
}

func testBatches(t *testing.T, s *suite) {
	a, b, c, x := s.key("a"), s.key("b"), s.key("c"), s.key("x")
	set, err := s.c.SetBatch(callCtx(t), &momento.SetBatchRequest{
		CacheName: s.cache,
		Items: []momento.BatchSetItem{
			{Key: momento.String(a), Value: momento.String("1")},
			{Key: momento.String(b), Value: momento.String("")},
			{Key: momento.String(c), Value: momento.String("3")},
		},
		Ttl: time.Minute,
	})
	if err != nil {
		t.Fatalf("SetBatch: %v", err)
	}
	ok, isOK := as[responses.SetBatchSuccess](set)
	if !isOK || len(ok.Results()) != 3 {
		t.Fatalf("SetBatch of 3 items: got %#v, want success with 3 results", set)
	}
	for i, r := range ok.Results() {
		if !is[responses.SetSuccess](r) {
			t.Fatalf("SetBatch result %d: got %T, want success", i, r)
		}
	}
	s.checkValue(t, a, "1")
	s.checkValue(t, b, "")
	s.checkRemaining(t, c, 50*time.Second, time.Minute)

	resp, err := s.c.GetBatch(callCtx(t), &momento.GetBatchRequest{
		CacheName: s.cache,
		Keys: []momento.Value{
			momento.String(c), momento.String(x), momento.String(a), momento.String(b),
		},
	})
	if err != nil {
		t.Fatalf("GetBatch: %v", err)
	}
	batch, isOK := as[responses.GetBatchSuccess](resp)
	if !isOK {
		t.Fatalf("GetBatch: got %T, want success", resp)
	}
	var got []string
	for _, r := range batch.Results() {
		if hit, ok := as[responses.GetHit](r); ok {
			got = append(got, "hit:"+hit.ValueString())
		} else if is[responses.GetMiss](r) {
			got = append(got, "miss")
		} else {
			got = append(got, "unexpected")
		}
	}
	if want := []string{"hit:3", "miss", "hit:1", "hit:"}; !slices.Equal(got, want) {
		t.Fatalf("GetBatch(c, missing, a, empty): got %v, want %v (in request order)", got, want)
	}
}
