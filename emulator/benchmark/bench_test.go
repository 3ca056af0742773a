package benchmark_test

import (
	"context"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/momentohq/client-sdk-go/auth"
	"github.com/momentohq/client-sdk-go/config"
	"github.com/momentohq/client-sdk-go/config/logger/momento_default_logger"
	"github.com/momentohq/client-sdk-go/config/retry"
	"github.com/momentohq/client-sdk-go/momento"
	"github.com/redis/go-redis/v9"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	"github.com/counterlab/counterlab/emulator"
	pb "github.com/counterlab/counterlab/emulator/protocol"
)

// callerCounts are the numbers of concurrent callers every target runs at.
var callerCounts = []int{1, 64}

// op is one call of a target.
type op func(ctx context.Context) error

// target starts a server and returns the call to measure.
type target struct {
	name  string
	start func(b *testing.B, callers int) op
}

var targets = []target{
	{"emulator-increment", startEmulator},
	{"emulator-increment-raw", startEmulatorRaw},
	{"grpc-health", startHealth},
	{"miniredis-incr", startMiniredis},
}

// BenchmarkUnary measures every target at every caller count; each
// result reports ops/s.
func BenchmarkUnary(b *testing.B) {
	for _, callers := range callerCounts {
		for _, tg := range targets {
			b.Run(fmt.Sprintf("callers=%d/%s", callers, tg.name), func(b *testing.B) {
				call := tg.start(b, callers)
				b.ReportAllocs()
				b.ResetTimer()
				wall, cpu := runCallers(b, callers, b.N, call)
				b.ReportMetric(float64(b.N)/wall.Seconds(), "ops/s")
				b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
			})
		}
	}
}

// BenchmarkRatio runs the emulator's Increment and the empty health check
// in alternating rounds, b.N calls each, and reports the emulator's share of
// the empty call's throughput two ways: by wall time ("emulator/empty"),
// and by the CPU time the process spent per call ("cpu-emulator/empty"),
// which other work on a shared machine disturbs much less. With every core
// busy, as at 64 callers, throughput is cores divided by CPU time per call.
func BenchmarkRatio(b *testing.B) {
	for _, callers := range callerCounts {
		b.Run(fmt.Sprintf("callers=%d", callers), func(b *testing.B) {
			emu := startEmulator(b, callers)
			empty := startHealth(b, callers)
			b.ResetTimer()

			// Alternate in rounds, each side going first in turn, so that
			// changes of load and garbage left by the other side fall on
			// both.
			const rounds = 8
			var wallEmpty, wallEmu, cpuEmpty, cpuEmu time.Duration
			measure := func(n int, call op, wall, cpu *time.Duration) {
				w, c := runCallers(b, callers, n, call)
				*wall += w
				*cpu += c
			}
			for r := range rounds {
				n := b.N / rounds
				if r < b.N%rounds {
					n++
				}
				if r%2 == 0 {
					measure(n, empty, &wallEmpty, &cpuEmpty)
					measure(n, emu, &wallEmu, &cpuEmu)
				} else {
					measure(n, emu, &wallEmu, &cpuEmu)
					measure(n, empty, &wallEmpty, &cpuEmpty)
				}
			}
			b.ReportMetric(float64(b.N)/wallEmu.Seconds(), "emulator-ops/s")
			b.ReportMetric(float64(b.N)/wallEmpty.Seconds(), "empty-ops/s")
			b.ReportMetric(wallEmpty.Seconds()/wallEmu.Seconds(), "emulator/empty")
			b.ReportMetric(cpuEmpty.Seconds()/cpuEmu.Seconds(), "cpu-emulator/empty")
		})
	}
}

// runCallers makes n calls from a fixed pool of callers goroutines sharing
// them, and returns the wall time they took and the CPU time the process
// spent meanwhile (clients and server together), a final garbage
// collection included.
func runCallers(b *testing.B, callers, n int, call op) (wall, cpu time.Duration) {
	b.Helper()
	ctx := context.Background()
	var (
		next    atomic.Int64
		wg      sync.WaitGroup
		errOnce sync.Once
		first   error
	)
	start, cpuStart := time.Now(), processCPU(b)
	for range callers {
		wg.Go(func() {
			for next.Add(1) <= int64(n) {
				if err := call(ctx); err != nil {
					errOnce.Do(func() { first = err })
					return
				}
			}
		})
	}
	wg.Wait()
	// Collect the garbage of these calls now, so that its cost is charged
	// to them and not to whatever runs next.
	runtime.GC()
	wall, cpu = time.Since(start), processCPU(b)-cpuStart
	if first != nil {
		b.Fatalf("call failed: %v", first)
	}
	return wall, cpu
}

// processCPU returns the user and system CPU time of this process so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// startEmulator starts the emulator and returns an Increment of one hot
// counter through the Momento SDK, configured as the app configures it
// (laptop settings, retries off), over one connection.
func startEmulator(b *testing.B, _ int) op {
	s := emulator.RunT(b)
	s.CreateCache("bench")
	cred, err := auth.NewMomentoLocalProvider(&auth.MomentoLocalConfig{
		Hostname: s.Host(), Port: uint(s.Port()),
	})
	if err != nil {
		b.Fatal(err)
	}
	logs := momento_default_logger.NewDefaultMomentoLoggerFactory(momento_default_logger.WARN)
	cfg := config.LaptopLatestWithLogger(logs).WithRetryStrategy(retry.NewNeverRetryStrategy())
	c, err := momento.NewCacheClientWithEagerConnectTimeout(cfg, cred, time.Hour, 10*time.Second)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(c.Close)

	return func(ctx context.Context) error {
		_, err := c.Increment(ctx, &momento.IncrementRequest{
			CacheName: "bench", Field: momento.String("counter"), Amount: 1,
		})
		return err
	}
}

// startEmulatorRaw starts the emulator and returns an Increment sent with
// plain grpc-go and no SDK, to tell the server's cost from the SDK's.
func startEmulatorRaw(b *testing.B, _ int) op {
	s := emulator.RunT(b)
	s.CreateCache("bench")
	conn, err := grpc.NewClient(s.Addr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	md := metadata.Pairs("cache", "bench")

	return func(ctx context.Context) error {
		return conn.Invoke(metadata.NewOutgoingContext(ctx, md), "/cache_client.Scs/Increment",
			&pb.IncrementRequest{Key: []byte("counter"), Amount: 1, TtlMs: 3_600_000},
			&pb.IncrementResponse{})
	}
}

// startHealth starts a gRPC server with grpc-go's health service and
// returns a health check over one plaintext loopback connection.
func startHealth(b *testing.B, _ int) op {
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	srv := grpc.NewServer()
	healthpb.RegisterHealthServer(srv, health.NewServer())
	go func() { _ = srv.Serve(lis) }()
	b.Cleanup(srv.Stop)

	conn, err := grpc.NewClient(lis.Addr().String(),
		grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = conn.Close() })
	client := healthpb.NewHealthClient(conn)

	return func(ctx context.Context) error {
		_, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
		return err
	}
}

// startMiniredis starts miniredis and returns an INCR of one key through
// go-redis, with a connection per caller.
func startMiniredis(b *testing.B, callers int) op {
	m := miniredis.RunT(b)
	rdb := redis.NewClient(&redis.Options{
		Addr: m.Addr(), PoolSize: max(callers, 10), MaxRetries: -1,
	})
	b.Cleanup(func() { _ = rdb.Close() })

	return func(ctx context.Context) error {
		return rdb.Incr(ctx, "counter").Err()
	}
}

// counters is how many counters BenchmarkMemory stores.
const counters = 1_000_000

// BenchmarkMemory stores a million small counters (keys like
// "counterlab:123456", values of one to four digits, as Increment writes
// them) in a fresh emulator and reports the heap they take per counter.
func BenchmarkMemory(b *testing.B) {
	keys := make([]string, counters)
	values := make([]string, counters)
	for i := range keys {
		keys[i] = "counterlab:" + strconv.Itoa(i)
		values[i] = strconv.Itoa(1 + i%2000)
	}
	var perCounter float64
	b.ResetTimer()

	for range b.N {
		s, err := emulator.Run()
		if err != nil {
			b.Fatal(err)
		}
		s.CreateCache("mem")
		before := heapAfterGC()

		for i := range keys {
			if err := s.Set("mem", keys[i], values[i], time.Hour); err != nil {
				b.Fatal(err)
			}
		}
		after := heapAfterGC()
		perCounter += float64(after-before) / counters

		if got := len(s.Keys("mem")); got != counters {
			b.Fatalf("stored %d counters, want %d", got, counters)
		}
		_ = s.Close()
	}
	b.ReportMetric(perCounter/float64(b.N), "B/counter")
}

func heapAfterGC() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
