package emulator_test

import (
	"bytes"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/momentohq/client-sdk-go/momento"
	"github.com/momentohq/client-sdk-go/responses"
	"golang.org/x/net/http2"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/counterlab/counterlab/emulator"
	pb "github.com/counterlab/counterlab/emulator/protocol"
)

// rawConn dials the emulator with plain gRPC, for calls the SDK cannot make.
func rawConn(t *testing.T, s *emulator.Server) *grpc.ClientConn {
	t.Helper()
	conn, err := grpc.NewClient(s.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial %s: %v", s.Addr(), err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}

// TestMethodListsMatchTheSDK compares our method lists with the service
// descriptors the SDK registers (it is linked into this test binary).
func TestMethodListsMatchTheSDK(t *testing.T) {
	tests := []struct {
		service string
		ours    []string
	}{
		{pb.ScsService, pb.ScsMethods},
		{pb.PingService, pb.PingMethods},
		{pb.ControlService, pb.ControlMethods},
	}
	for _, tt := range tests {
		t.Run(tt.service, func(t *testing.T) {
			d, err := protoregistry.GlobalFiles.FindDescriptorByName(
				protoreflect.FullName(tt.service))
			if err != nil {
				t.Fatalf("the SDK's %s descriptor: %v", tt.service, err)
			}
			methods := d.(protoreflect.ServiceDescriptor).Methods()
			var sdk []string
			for i := range methods.Len() {
				m := methods.Get(i)
				sdk = append(sdk, string(m.Name()))
				stream := pb.ServerStreaming[tt.service+"/"+string(m.Name())]
				if m.IsStreamingServer() != stream || m.IsStreamingClient() {
					t.Errorf("%s: SDK streaming server %v client %v, ours server %v",
						m.Name(), m.IsStreamingServer(), m.IsStreamingClient(), stream)
				}
			}
			if !slices.Equal(sdk, tt.ours) {
				t.Fatalf("methods: got %v, want the SDK's %v", tt.ours, sdk)
			}
		})
	}
}

func TestUnsupportedMethodsAnswerUnimplementedWithTheirName(t *testing.T) {
	s := emulator.RunT(t)
	s.CreateCache("c")
	conn := rawConn(t, s)
	md := metadata.Pairs("cache", "c")

	var unsupported []string
	for _, svc := range []struct {
		name    string
		methods []string
	}{
		{pb.ScsService, pb.ScsMethods},
		{pb.ControlService, pb.ControlMethods},
	} {
		for _, m := range svc.methods {
			if !emulator.Supported(svc.name + "/" + m) {
				unsupported = append(unsupported, svc.name+"/"+m)
			}
		}
	}
	if len(unsupported) < 40 {
		t.Fatalf("only %d unsupported methods found; the support list looks wrong", len(unsupported))
	}
	unsupported = append(unsupported, "cache_client.Scs/NoSuchMethod", "no.such.Service/Call")

	for _, full := range unsupported {
		err := conn.Invoke(metadata.NewOutgoingContext(ctx(t), md), "/"+full,
			&pb.Empty{}, &pb.Empty{})
		st := status.Convert(err)
		if st.Code() != codes.Unimplemented || !strings.Contains(st.Message(), full) {
			t.Errorf("%s: got %v %q, want Unimplemented naming it", full, st.Code(), st.Message())
		}
	}
}

func TestUnsupportedThroughTheSDK(t *testing.T) {
	_, c, cache := setup(t)

	_, err := c.DictionaryFetch(ctx(t), &momento.DictionaryFetchRequest{
		CacheName: cache, DictionaryName: "d",
	})
	if got := momentoCode(err); got != momento.BadRequestError ||
		!strings.Contains(err.Error(), "DictionaryFetch") {
		t.Fatalf("DictionaryFetch: got code %q (%v), want %q naming the method",
			got, err, momento.BadRequestError)
	}
}

func TestBatches(t *testing.T) {
	s, c, cache := setup(t)

	_, err := c.SetBatch(ctx(t), &momento.SetBatchRequest{
		CacheName: cache,
		Items: []momento.BatchSetItem{
			{Key: momento.String("a"), Value: momento.String("1")},
			{Key: momento.String("b"), Value: momento.String("")},
			{Key: momento.String("c"), Value: momento.String("3")},
		},
		Ttl: time.Minute,
	})
	if err != nil {
		t.Fatalf("SetBatch: %v", err)
	}
	s.CheckGet(t, cache, "a", "1")
	s.CheckGet(t, cache, "b", "")

	resp, err := c.GetBatch(ctx(t), &momento.GetBatchRequest{
		CacheName: cache,
		Keys:      []momento.Value{momento.String("c"), momento.String("x"), momento.String("a")},
	})
	if err != nil {
		t.Fatalf("GetBatch: %v", err)
	}
	var got []string
	for _, r := range resp.(responses.GetBatchSuccess).Results() {
		switch r := r.(type) {
		case *responses.GetHit:
			got = append(got, "hit:"+r.ValueString())
		case *responses.GetMiss:
			got = append(got, "miss")
		}
	}
	want := []string{"hit:3", "miss", "hit:1"}
	if !slices.Equal(got, want) {
		t.Fatalf("GetBatch results: got %v, want %v", got, want)
	}

	_, err = c.GetBatch(ctx(t), &momento.GetBatchRequest{
		CacheName: "missing", Keys: []momento.Value{momento.String("a")},
	})
	if got := momentoCode(err); got != momento.CacheNotFoundError {
		t.Fatalf("GetBatch on a missing cache: got code %q (%v), want %q",
			got, err, momento.CacheNotFoundError)
	}
}

func TestKeysExistAndItemType(t *testing.T) {
	_, c, cache := setup(t)
	setValue(t, c, cache, "a", "1", 0)
	setValue(t, c, cache, "c", "", 0)

	resp, err := c.KeysExist(ctx(t), &momento.KeysExistRequest{
		CacheName: cache,
		Keys:      []momento.Key{momento.String("a"), momento.String("b"), momento.String("c")},
	})
	if err != nil {
		t.Fatalf("KeysExist: %v", err)
	}
	if got := resp.(*responses.KeysExistSuccess).Exists(); !slices.Equal(got, []bool{true, false, true}) {
		t.Fatalf("KeysExist: got %v, want [true false true]", got)
	}

	tr, err := c.ItemGetType(ctx(t), &momento.ItemGetTypeRequest{CacheName: cache, Key: momento.String("a")})
	if hit, ok := tr.(*responses.ItemGetTypeHit); err != nil || !ok || hit.Type() != responses.ItemTypeScalar {
		t.Fatalf("ItemGetType: got %#v, %v; want a scalar hit", tr, err)
	}
	tr, err = c.ItemGetType(ctx(t), &momento.ItemGetTypeRequest{CacheName: cache, Key: momento.String("b")})
	if _, ok := tr.(*responses.ItemGetTypeMiss); err != nil || !ok {
		t.Fatalf("ItemGetType of a missing key: got %T, %v; want a miss", tr, err)
	}
}

func TestSetIfNotExists(t *testing.T) {
	s, c, cache := setup(t)

	for i, want := range []string{"*responses.SetIfNotExistsStored", "*responses.SetIfNotExistsNotStored"} {
		resp, err := c.SetIfNotExists(ctx(t), &momento.SetIfNotExistsRequest{
			CacheName: cache, Key: momento.String("k"), Value: momento.String([]string{"a", "b"}[i]),
		})
		if err != nil {
			t.Fatalf("SetIfNotExists %d: %v", i, err)
		}
		if got := typeName(resp); got != want {
			t.Fatalf("SetIfNotExists %d: got %s, want %s", i, got, want)
		}
	}
	s.CheckGet(t, cache, "k", "a")
}

func TestHashes(t *testing.T) {
	s, c, cache := setup(t)

	set, err := c.SetWithHash(ctx(t), &momento.SetWithHashRequest{
		CacheName: cache, Key: momento.String("k"), Value: momento.String("one"),
	})
	if err != nil {
		t.Fatalf("SetWithHash: %v", err)
	}
	h1 := set.(*responses.SetWithHashStored).HashByte()

	got, err := c.GetWithHash(ctx(t), &momento.GetWithHashRequest{CacheName: cache, Key: momento.String("k")})
	hit, ok := got.(*responses.GetWithHashHit)
	if err != nil || !ok || hit.ValueString() != "one" || !bytes.Equal(hit.HashByte(), h1) {
		t.Fatalf("GetWithHash: got %#v, %v; want value one with the stored hash", got, err)
	}

	// Wrong hash: not stored.
	r, err := c.SetIfPresentAndHashEqual(ctx(t), &momento.SetIfPresentAndHashEqualRequest{
		CacheName: cache, Key: momento.String("k"), Value: momento.String("two"),
		HashEqual: momento.Bytes([]byte("not the hash")),
	})
	if _, ok := r.(*responses.SetIfPresentAndHashEqualNotStored); err != nil || !ok {
		t.Fatalf("SetIfPresentAndHashEqual with a wrong hash: got %T, %v; want not stored", r, err)
	}
	s.CheckGet(t, cache, "k", "one")

	// Right hash: stored, with a new hash.
	r, err = c.SetIfPresentAndHashEqual(ctx(t), &momento.SetIfPresentAndHashEqualRequest{
		CacheName: cache, Key: momento.String("k"), Value: momento.String("two"),
		HashEqual: momento.Bytes(h1),
	})
	stored, ok := r.(*responses.SetIfPresentAndHashEqualStored)
	if err != nil || !ok || bytes.Equal(stored.HashByte(), h1) {
		t.Fatalf("SetIfPresentAndHashEqual with the hash: got %#v, %v; want stored, new hash", r, err)
	}
	s.CheckGet(t, cache, "k", "two")

	// Absent or hash not equal, on an absent key: stored.
	r2, err := c.SetIfAbsentOrHashNotEqual(ctx(t), &momento.SetIfAbsentOrHashNotEqualRequest{
		CacheName: cache, Key: momento.String("new"), Value: momento.String("v"),
		HashNotEqual: momento.Bytes(h1),
	})
	if _, ok := r2.(*responses.SetIfAbsentOrHashNotEqualStored); err != nil || !ok {
		t.Fatalf("SetIfAbsentOrHashNotEqual on an absent key: got %T, %v; want stored", r2, err)
	}
}

func TestFlushCache(t *testing.T) {
	s := emulator.RunT(t)
	if err := s.Set("c", "a", "1", 0); err != nil {
		t.Fatal(err)
	}
	conn := rawConn(t, s)

	err := conn.Invoke(ctx(t), "/control_client.ScsControl/FlushCache",
		&pb.CacheNameRequest{Name: "c"}, &pb.Empty{})
	if err != nil {
		t.Fatalf("FlushCache: %v", err)
	}
	if got := s.Keys("c"); len(got) != 0 {
		t.Fatalf("keys after FlushCache: got %v, want none", got)
	}

	err = conn.Invoke(ctx(t), "/control_client.ScsControl/FlushCache",
		&pb.CacheNameRequest{Name: "missing"}, &pb.Empty{})
	if got := status.Code(err); got != codes.NotFound {
		t.Fatalf("FlushCache of a missing cache: got %v, want NotFound", got)
	}
}

func TestItemSizeLimit(t *testing.T) {
	s, c, cache := setup(t)

	key := "big"
	fits := strings.Repeat("x", emulator.MaxItemSize-len(key))
	setValue(t, c, cache, key, fits, 0)
	if got, _ := s.Get(cache, key); len(got) != len(fits) {
		t.Fatalf("item of exactly the limit: stored %d bytes, want %d", len(got), len(fits))
	}

	_, err := c.Set(ctx(t), &momento.SetRequest{
		CacheName: cache, Key: momento.String(key), Value: momento.String(fits + "y"),
	})
	var me momento.MomentoError
	if !errors.As(err, &me) || me.Code() != momento.LimitExceededError ||
		!strings.Contains(me.Message(), "Item size limit exceeded") {
		t.Fatalf("item one byte over the limit: got %v, want %q for the item size",
			err, momento.LimitExceededError)
	}
	if got, _ := s.Get(cache, key); len(got) != len(fits) {
		t.Fatalf("the refused write changed the item: %d bytes, want %d", len(got), len(fits))
	}

	// The cause travels in the err trailer, where the SDK looks first.
	var trailer metadata.MD
	err = rawConn(t, s).Invoke(metadata.AppendToOutgoingContext(ctx(t), "cache", cache),
		"/cache_client.Scs/Set",
		&pb.SetRequest{Key: []byte(key), Value: []byte(fits + "y"), TtlMs: 1000},
		&pb.SetResponse{}, grpc.Trailer(&trailer))
	if status.Code(err) != codes.ResourceExhausted {
		t.Fatalf("raw Set over the limit: got %v, want ResourceExhausted", err)
	}
	if got := trailer.Get("err"); !slices.Equal(got, []string{"item_size_limit_exceeded"}) {
		t.Fatalf("err trailer: got %q, want [item_size_limit_exceeded]", got)
	}
}

// TestKeepalivePingsAccepted sends HTTP/2 pings more often than the SDK's
// keepalive (5 s) with no call open, which a default gRPC server punishes
// with GOAWAY after two.
func TestKeepalivePingsAccepted(t *testing.T) {
	s := emulator.RunT(t)
	conn, err := net.Dial("tcp", s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	if _, err := conn.Write([]byte(http2.ClientPreface)); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(conn, conn)
	var writeMu sync.Mutex // a Framer's writes are not safe for concurrent use
	write := func(f func() error) error {
		writeMu.Lock()
		defer writeMu.Unlock()
		return f()
	}
	if err := write(func() error { return fr.WriteSettings() }); err != nil {
		t.Fatal(err)
	}

	goaway := make(chan string, 1)
	acks := make(chan struct{}, 16)
	go func() {
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				return
			}
			switch f := f.(type) {
			case *http2.SettingsFrame:
				if !f.IsAck() {
					_ = write(fr.WriteSettingsAck)
				}
			case *http2.PingFrame:
				if f.IsAck() {
					acks <- struct{}{}
				}
			case *http2.GoAwayFrame:
				goaway <- f.ErrCode.String() + " " + string(f.DebugData())
				return
			}
		}
	}()

	for i := range 4 {
		if err := write(func() error { return fr.WritePing(false, [8]byte{byte(i)}) }); err != nil {
			t.Fatalf("ping %d: %v", i, err)
		}
		select {
		case msg := <-goaway:
			t.Fatalf("ping %d: server sent GOAWAY %s", i, msg)
		case <-acks:
		case <-time.After(5 * time.Second):
			t.Fatalf("ping %d: no ack", i)
		}
		time.Sleep(1100 * time.Millisecond)
	}
	select {
	case msg := <-goaway:
		t.Fatalf("server sent GOAWAY %s", msg)
	case <-time.After(200 * time.Millisecond):
	}
}
