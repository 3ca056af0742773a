package conformance

// This file checks Ping, the control plane (CreateCache, DeleteCache,
// ListCaches, FlushCache) and data calls on a missing cache.

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/momentohq/client-sdk-go/momento"
	"github.com/momentohq/client-sdk-go/responses"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	pb "github.com/counterlab/counterlab/emulator/protocol"
)

func testPing(t *testing.T, s *suite) {
	resp, err := s.c.Ping(callCtx(t))
	if err != nil || !is[responses.PingSuccess](resp) {
		t.Fatalf("Ping: got %T, %v; want success", resp, err)
	}
}

func cacheNames(t *testing.T, c momento.CacheClient) []string {
	t.Helper()
	resp, err := c.ListCaches(callCtx(t), &momento.ListCachesRequest{})
	if err != nil {
		t.Fatalf("ListCaches: %v", err)
	}
	list, ok := as[responses.ListCachesSuccess](resp)
	if !ok {
		t.Fatalf("ListCaches: got %T, want success", resp)
	}
	var names []string
	for _, ci := range list.Caches() {
		names = append(names, ci.Name())
	}
	return names
}

func testCreateListDelete(t *testing.T, s *suite) {
	name := s.tg.uniqueName("control")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
		defer cancel()
		_, _ = s.c.DeleteCache(ctx, &momento.DeleteCacheRequest{CacheName: name})
	})

	resp, err := s.c.CreateCache(callCtx(t), &momento.CreateCacheRequest{CacheName: name})
	if err != nil || !is[responses.CreateCacheSuccess](resp) {
		t.Fatalf("CreateCache(%q): got %T, %v; want success", name, resp, err)
	}
	resp, err = s.c.CreateCache(callCtx(t), &momento.CreateCacheRequest{CacheName: name})
	if err != nil || !is[responses.CreateCacheAlreadyExists](resp) {
		t.Fatalf("CreateCache(%q) again: got %T, %v; want already exists", name, resp, err)
	}
	if names := cacheNames(t, s.c); !slices.Contains(names, name) {
		t.Fatalf("ListCaches after CreateCache(%q): got %v, want it listed", name, names)
	}

	waitForCache(t, s.c, name)
	if _, err := s.c.Set(callCtx(t), &momento.SetRequest{
		CacheName: name, Key: momento.String("k"), Value: momento.String("v"),
	}); err != nil {
		t.Fatalf("Set in the new cache: %v", err)
	}
	if got, ok := getFrom(t, s.c, name, "k"); !ok || got != "v" {
		t.Fatalf("Get in the new cache: got %q (hit %v), want %q", got, ok, "v")
	}

	del, err := s.c.DeleteCache(callCtx(t), &momento.DeleteCacheRequest{CacheName: name})
	if err != nil || !is[responses.DeleteCacheSuccess](del) {
		t.Fatalf("DeleteCache(%q): got %T, %v; want success", name, del, err)
	}
	if names := cacheNames(t, s.c); slices.Contains(names, name) {
		t.Fatalf("ListCaches after DeleteCache(%q): got %v, want it gone", name, names)
	}
	waitForGone(t, s.c, name)

	// The SDK answers success for a cache that is already gone.
	del, err = s.c.DeleteCache(callCtx(t), &momento.DeleteCacheRequest{CacheName: name})
	if err != nil || !is[responses.DeleteCacheSuccess](del) {
		t.Fatalf("DeleteCache(%q) again: got %T, %v; want success", name, del, err)
	}
}

// waitForGone waits until data calls on a deleted cache fail
// CacheNotFoundError, and fails the test if they never do.
func waitForGone(t *testing.T, c momento.CacheClient, name string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, err := c.Get(callCtx(t), &momento.GetRequest{CacheName: name, Key: momento.String("k")})
		if code(err) == momento.CacheNotFoundError {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Get in the deleted cache %q: got %v, want %q", name, err,
				momento.CacheNotFoundError)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// testFlushCache calls FlushCache with plain gRPC: the Go SDK v1.38.0 has
// no method for it.
func testFlushCache(t *testing.T, s *suite) {
	needLocal(t, s, "the Go SDK has no FlushCache, and the suite sends it as plain gRPC "+
		"only to plaintext endpoints")
	name := createCache(t, s.tg, s.c, "flush")
	other := s.key("other")
	s.set(t, other, "kept", 0)
	for _, k := range []string{"a", "b"} {
		if _, err := s.c.Set(callCtx(t), &momento.SetRequest{
			CacheName: name, Key: momento.String(k), Value: momento.String("v"),
		}); err != nil {
			t.Fatalf("Set(%q): %v", k, err)
		}
	}

	conn, err := grpc.NewClient(s.tg.Endpoint,
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatalf("dial %s: %v", s.tg.Endpoint, err)
	}
	defer conn.Close()
	flush := func(cache string) error {
		return conn.Invoke(callCtx(t), "/"+pb.ControlService+"/FlushCache",
			&pb.CacheNameRequest{Name: cache}, &pb.Empty{})
	}

	if err := flush(name); err != nil {
		t.Fatalf("FlushCache(%q): %v", name, err)
	}
	for _, k := range []string{"a", "b"} {
		if got, ok := getFrom(t, s.c, name, k); ok {
			t.Fatalf("Get(%q) after FlushCache: got %q, want a miss", k, got)
		}
	}
	if !slices.Contains(cacheNames(t, s.c), name) {
		t.Fatalf("FlushCache(%q) deleted the cache, want it kept, empty", name)
	}
	s.checkValue(t, other, "kept")

	missing := s.tg.uniqueName("never-created")
	if got := status.Code(flush(missing)); got != codes.NotFound {
		t.Fatalf("FlushCache of a missing cache: got %v, want %v", got, codes.NotFound)
	}
}

// testMissingCache checks that every data method fails CacheNotFoundError
// on a cache that does not exist.
func testMissingCache(t *testing.T, s *suite) {
	cache := s.tg.uniqueName("never-created")
	k, v := momento.String("k"), momento.String("v")
	calls := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"Get", func(ctx context.Context) error {
			_, err := s.c.Get(ctx, &momento.GetRequest{CacheName: cache, Key: k})
			return err
		}},
		{"Set", func(ctx context.Context) error {
			_, err := s.c.Set(ctx, &momento.SetRequest{CacheName: cache, Key: k, Value: v})
			return err
		}},
		{"SetIfAbsent", func(ctx context.Context) error {
			_, err := s.c.SetIfAbsent(ctx, &momento.SetIfAbsentRequest{
				CacheName: cache, Key: k, Value: v,
			})
			return err
		}},
		{"SetIfNotExists", func(ctx context.Context) error {
			_, err := s.c.SetIfNotExists(ctx, &momento.SetIfNotExistsRequest{
				CacheName: cache, Key: k, Value: v,
			})
			return err
		}},
		{"Delete", func(ctx context.Context) error {
			_, err := s.c.Delete(ctx, &momento.DeleteRequest{CacheName: cache, Key: k})
			return err
		}},
		{"KeysExist", func(ctx context.Context) error {
			_, err := s.c.KeysExist(ctx, &momento.KeysExistRequest{
				CacheName: cache, Keys: []momento.Key{k},
			})
			return err
		}},
		{"Increment", func(ctx context.Context) error {
			_, err := s.c.Increment(ctx, &momento.IncrementRequest{
				CacheName: cache, Field: k, Amount: 1,
			})
			return err
		}},
		{"UpdateTtl", func(ctx context.Context) error {
			_, err := s.c.UpdateTtl(ctx, &momento.UpdateTtlRequest{
				CacheName: cache, Key: k, Ttl: time.Minute,
			})
			return err
		}},
		{"ItemGetTtl", func(ctx context.Context) error {
			_, err := s.c.ItemGetTtl(ctx, &momento.ItemGetTtlRequest{CacheName: cache, Key: k})
			return err
		}},
		{"ItemGetType", func(ctx context.Context) error {
			_, err := s.c.ItemGetType(ctx, &momento.ItemGetTypeRequest{CacheName: cache, Key: k})
			return err
		}},
		{"GetBatch", func(ctx context.Context) error {
			_, err := s.c.GetBatch(ctx, &momento.GetBatchRequest{
				CacheName: cache, Keys: []momento.Value{k},
			})
			return err
		}},
		{"SetBatch", func(ctx context.Context) error {
			_, err := s.c.SetBatch(ctx, &momento.SetBatchRequest{
				CacheName: cache, Items: []momento.BatchSetItem{{Key: k, Value: v}},
			})
			return err
		}},
		{"GetWithHash", func(ctx context.Context) error {
			_, err := s.c.GetWithHash(ctx, &momento.GetWithHashRequest{CacheName: cache, Key: k})
			return err
		}},
		{"SetWithHash", func(ctx context.Context) error {
			_, err := s.c.SetWithHash(ctx, &momento.SetWithHashRequest{
				CacheName: cache, Key: k, Value: v,
			})
			return err
		}},
	}
	for _, tc := range calls {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, tc.name+" on a missing cache", tc.call(callCtx(t)),
				momento.CacheNotFoundError)
		})
	}
}
