package emulator

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/keepalive"
	"google.golang.org/grpc/status"
)

// Options configures a Server.
type Options struct {
	// Addr is the listen address; empty means 127.0.0.1 on an ephemeral
	// port.
	Addr string

	// Logger receives start, stop and fault lines; nil discards them.
	Logger *slog.Logger

	// LogRequests logs one line per request.
	LogRequests bool

	// Caches are created at start.
	Caches []string

	// Faults are set at start, as AddFault sets them.
	Faults []Fault

	// SweepInterval is how often a part of the caches is swept of expired
	// items (a full sweep takes 16 intervals); 0 means 250ms. Expired items
	// are never served, swept or not.
	SweepInterval time.Duration
}

// Server is a running emulator: a gRPC server on a TCP listener serving
// Momento's cache_client.Scs, cache_client.Ping and
// control_client.ScsControl.
type Server struct {
	faultState

	opts  Options
	log   *slog.Logger
	lis   net.Listener
	grpc  *grpc.Server
	store *store
	clock clock

	stop      chan struct{}
	done      sync.WaitGroup
	closeOnce sync.Once
}

// Run starts an emulator on 127.0.0.1 on an ephemeral port, with the real
// clock.
func Run() (*Server, error) { return RunWithOptions(Options{}) }

// RunT starts an emulator for a test; the test's cleanup closes it.
func RunT(tb testing.TB) *Server {
	tb.Helper()
	s, err := Run()
	if err != nil {
		tb.Fatalf("emulator: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	return s
}

// RunWithOptions starts an emulator configured by opts.
func RunWithOptions(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.SweepInterval <= 0 {
		opts.SweepInterval = 250 * time.Millisecond
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}

	s := &Server{opts: opts, log: log, store: newStore(), stop: make(chan struct{})}
	s.faultList.Store(&[]FaultEntry{})
	for _, name := range opts.Caches {
		if err := checkCacheName(name); err != nil {
			return nil, fmt.Errorf("emulator: cache %q: %w", name, err)
		}
		s.store.create(name)
	}
	for _, f := range opts.Faults {
		s.AddFault(f)
	}

	lis, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("emulator: listen on %s: %w", opts.Addr, err)
	}
	s.lis = lis
	s.grpc = grpc.NewServer(s.serverOptions()...)
	for _, sd := range serviceDescs() {
		s.grpc.RegisterService(sd, s)
	}

	s.done.Add(2)
	go func() {
		defer s.done.Done()
		if err := s.grpc.Serve(lis); err != nil && !errors.Is(err, grpc.ErrServerStopped) {
			s.log.Error("emulator serve failed", "addr", s.Addr(), "err", err)
		}
	}()
	go func() {
		defer s.done.Done()
		s.sweepLoop()
	}()

	s.log.Info("emulator started", "addr", lis.Addr().String(), "caches", len(opts.Caches),
		"faults", len(opts.Faults))
	return s, nil
}

// serverOptions are the gRPC settings the SDK needs: its keepalive pings
// every 5 seconds are accepted, and requests up to MaxRecvMsgSize are read.
func (s *Server) serverOptions() []grpc.ServerOption {
	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(MaxRecvMsgSize),
		grpc.KeepaliveEnforcementPolicy(keepalive.EnforcementPolicy{
			MinTime:             time.Second,
			PermitWithoutStream: true,
		}),
		grpc.UnknownServiceHandler(unsupportedStream),
	}
	if s.opts.LogRequests {
		opts = append(opts,
			grpc.ChainUnaryInterceptor(s.logUnary),
			grpc.ChainStreamInterceptor(s.logStream))
	}
	return opts
}

func (s *Server) logUnary(ctx context.Context, req any, info *grpc.UnaryServerInfo,
	h grpc.UnaryHandler) (any, error) {
	start := time.Now()
	resp, err := h(ctx, req)
	s.logRequest(ctx, info.FullMethod, start, err)
	return resp, err
}

func (s *Server) logStream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo,
	h grpc.StreamHandler) error {
	start := time.Now()
	err := h(srv, ss)
	s.logRequest(ss.Context(), info.FullMethod, start, err)
	return err
}

func (s *Server) logRequest(ctx context.Context, method string, start time.Time, err error) {
	s.log.InfoContext(ctx, "emulator request", "method", method,
		"code", status.Code(err).String(), "elapsed", time.Since(start))
}

// sweepLoop removes expired items, a sixteenth of the shards of every cache
// per interval, until the server closes.
func (s *Server) sweepLoop() {
	const parts = 16
	step := shardCount / parts
	t := time.NewTicker(s.opts.SweepInterval)
	defer t.Stop()

	for part := 0; ; part = (part + 1) % parts {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		now := s.clock.now()
		for _, c := range *s.store.caches.Load() {
			c.sweep(part*step, (part+1)*step, now)
		}
	}
}

// Addr returns the address clients dial, "127.0.0.1:PORT" when the server
// listens on every interface.
func (s *Server) Addr() string {
	a := s.lis.Addr().(*net.TCPAddr)
	host := a.IP.String()
	if a.IP.IsUnspecified() {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, strconv.Itoa(a.Port))
}

// Host returns the host part of Addr.
func (s *Server) Host() string {
	h, _, _ := net.SplitHostPort(s.Addr())
	return h
}

// Port returns the port the server listens on.
func (s *Server) Port() int { return s.lis.Addr().(*net.TCPAddr).Port }

// Close stops the server: calls in progress get up to five seconds to finish.
// Closing twice is harmless.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		close(s.stop)

		stopped := make(chan struct{})
		go func() {
			s.grpc.GracefulStop()
			close(stopped)
		}()
		select {
		case <-stopped:
		case <-time.After(5 * time.Second):
			s.grpc.Stop()
			<-stopped
		}

		s.done.Wait()
		s.log.Info("emulator stopped", "addr", s.lis.Addr().String())
	})
	return nil
}

// FastForward moves the emulator's clock forward by d: items expire as if d
// had passed. The clock keeps running in real time too.
func (s *Server) FastForward(d time.Duration) { s.clock.forward(d) }

// Now returns the emulator's current time.
func (s *Server) Now() time.Time { return time.Unix(0, s.clock.now()) }
