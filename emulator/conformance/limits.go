package conformance

// This file checks the size limits: items of key plus value up to 5 MiB,
// and requests up to the SDK's largest message.

import (
	"strings"
	"testing"
	"time"

	"github.com/momentohq/client-sdk-go/momento"
	"github.com/momentohq/client-sdk-go/responses"
	"google.golang.org/protobuf/proto"

	pb "github.com/counterlab/counterlab/emulator/protocol"
)

// MaxItemSize is the largest key plus value a default Momento cache
// accepts, in bytes.
const MaxItemSize = 5 << 20

// MaxMessageSize is the largest request the Go SDK sends
// (config.DEFAULT_MAX_MESSAGE_SIZE): a server must accept messages up to it.
const MaxMessageSize = 5_243_000

// itemSizeMessage is the start of the SDK's message for an item over the
// size limit, which it picks from the `err` trailer item_size_limit_exceeded
// (or from the status message when the trailer is missing).
const itemSizeMessage = "Item size limit exceeded"

func testItemSize(t *testing.T, s *suite) {
	k := s.key("big")
	fits := strings.Repeat("x", MaxItemSize-len(k))
	s.set(t, k, fits, 0)
	if got, ok := s.get(t, k); !ok || got != fits {
		t.Fatalf("Get of an item of exactly %d bytes: got %d bytes (hit %v), want it whole",
			MaxItemSize, len(got), ok)
	}

	over := fits + "y"
	writes := []struct {
		name string
		call func() error
	}{
		{"Set", func() error {
			_, err := s.c.Set(callCtx(t), &momento.SetRequest{
				CacheName: s.cache, Key: momento.String(k), Value: momento.String(over),
			})
			return err
		}},
		{"SetIfPresent", func() error {
			_, err := s.c.SetIfPresent(callCtx(t), &momento.SetIfPresentRequest{
				CacheName: s.cache, Key: momento.String(k), Value: momento.String(over),
			})
			return err
		}},
	}
	for _, w := range writes {
		err := w.call()
		wantCode(t, w.name+" one byte over the item limit", err, momento.LimitExceededError)
		if msg := err.(momento.MomentoError).Message(); !strings.Contains(msg, itemSizeMessage) {
			t.Fatalf("%s one byte over the item limit: message %q, want it to say %q",
				w.name, msg, itemSizeMessage)
		}
	}
	if got, _ := s.get(t, k); len(got) != len(fits) {
		t.Fatalf("the refused writes changed the item: %d bytes, want %d", len(got), len(fits))
	}

	fresh := s.key("big-new")
	_, err := s.c.Set(callCtx(t), &momento.SetRequest{
		CacheName: s.cache, Key: momento.String(fresh),
		Value: momento.String(strings.Repeat("z", MaxItemSize)),
	})
	wantCode(t, "Set of a new item over the limit", err, momento.LimitExceededError)
	s.checkMiss(t, fresh)
}

// testLargestMessage sends a SetBatch of exactly MaxMessageSize bytes, two
// items under the item limit, and reads them back.
func testLargestMessage(t *testing.T, s *suite) {
	k1, k2 := s.key("msg-a"), s.key("msg-b")
	const ttl = time.Minute
	half := MaxMessageSize / 2
	v1 := strings.Repeat("a", half)
	v2 := strings.Repeat("b", half)

	// Trim v2 until the request, as the SDK encodes it, is exactly the size.
	size := func() int {
		return proto.Size(&pb.SetBatchRequest{Sets: []*pb.SetRequest{
			{Key: []byte(k1), Value: []byte(v1), TtlMs: uint64(ttl.Milliseconds())},
			{Key: []byte(k2), Value: []byte(v2), TtlMs: uint64(ttl.Milliseconds())},
		}})
	}
	for n := size(); n != MaxMessageSize; n = size() {
		if n < MaxMessageSize || len(v2) == 0 {
			t.Fatalf("cannot build a SetBatch of exactly %d bytes (got %d)", MaxMessageSize, n)
		}
		v2 = v2[:len(v2)-(n-MaxMessageSize)]
	}

	resp, err := s.c.SetBatch(callCtx(t), &momento.SetBatchRequest{
		CacheName: s.cache, Ttl: ttl,
		Items: []momento.BatchSetItem{
			{Key: momento.String(k1), Value: momento.String(v1)},
			{Key: momento.String(k2), Value: momento.String(v2)},
		},
	})
	if err != nil || !is[responses.SetBatchSuccess](resp) {
		t.Fatalf("SetBatch of a %d-byte message: got %T, %v; want success",
			MaxMessageSize, resp, err)
	}

	got, err := s.c.GetBatch(callCtx(t), &momento.GetBatchRequest{
		CacheName: s.cache, Keys: []momento.Value{momento.String(k1), momento.String(k2)},
	})
	if err != nil {
		t.Fatalf("GetBatch of the two large items: %v", err)
	}
	batch, _ := as[responses.GetBatchSuccess](got)
	results := batch.Results()
	for i, want := range []string{v1, v2} {
		if i >= len(results) {
			t.Fatalf("GetBatch: got %d results, want 2", len(results))
		}
		hit, ok := as[responses.GetHit](results[i])
		if !ok || hit.ValueString() != want {
			t.Fatalf("GetBatch result %d: got %T of %d bytes, want a hit of %d bytes",
				i, results[i], len(hitBytes(results[i])), len(want))
		}
	}
}
