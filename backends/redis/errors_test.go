package redis

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/alicebob/miniredis/v2"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/backends/backendtest"
)

// strategies are the calls every failure case tries.
var strategies = backendtest.Calls(backends.Redis, 10)

// TestStoppedServer: a server that is down is unavailable, and the backend
// recovers when it comes back.
func TestStoppedServer(t *testing.T) {
	ctx := context.Background()
	mr := miniredis.RunT(t)
	b := newBackend(t, "redis://"+mr.Addr())
	if _, err := b.Increment(ctx, backends.RedisIncr, "c", 0); err != nil {
		t.Fatal(err)
	}

	mr.Close()
	backendtest.WantUnavailable(t, b, strategies)

	if err := mr.Restart(); err != nil {
		t.Fatalf("restart miniredis: %v", err)
	}
	backendtest.WantRecovered(t, b, backendtest.Call{Strategy: backends.RedisLua, Max: 10}, 2)
}

// TestNothingListening: New succeeds without a server; calls are unavailable.
func TestNothingListening(t *testing.T) {
	ctx := context.Background()
	b := newBackend(t, "redis://"+backendtest.FreeAddr(t))
	for _, s := range strategies {
		_, err := b.Increment(ctx, s.Strategy, "c", s.Max)
		backendtest.WantCode(t, err, backends.CodeUnavailable)
	}
	backendtest.WantCode(t, b.Health(ctx), backends.CodeUnavailable)
}

// TestSilentServers uses TCP servers that read commands and misbehave, to
// tell "not sent" from "sent, no answer".
func TestSilentServers(t *testing.T) {
	cases := []struct {
		name string
		mode fakeMode
		want backends.Code
	}{
		// Never answers, not even the handshake: the command is never sent.
		{"silent from the start", silent, backends.CodeUnavailable},
		// Answers the handshake, reads the command, never answers it.
		{"no answer to the command", hangOnCommand, backends.CodeOutcomeUnknown},
		// Answers the handshake, reads the command, closes the connection.
		{"closes after the command", closeOnCommand, backends.CodeOutcomeUnknown},
		// Answers the handshake, reads the command, answers garbage.
		{"garbage answer", garbageOnCommand, backends.CodeOutcomeUnknown},
	}
	for _, tc := range cases {
		for _, s := range strategies {
			t.Run(tc.name+"/"+s.Strategy, func(t *testing.T) {
				f := startFake(t, tc.mode)
				b := newBackend(t, "redis://"+f.addr()+"?read_timeout=200ms")
				_, err := b.Increment(context.Background(), s.Strategy, "c", s.Max)
				backendtest.WantCode(t, err, tc.want)
				if tc.mode != silent && f.commands() != 1 {
					t.Fatalf("server got %d increments, want 1 (no retry)", f.commands())
				}
				if tc.mode == silent && f.commands() != 0 {
					t.Fatalf("server got %d increments, want 0", f.commands())
				}
			})
		}
	}
}

// TestPoolTimeout: waiting for a free connection in vain is unavailable.
func TestPoolTimeout(t *testing.T) {
	ctx := context.Background()
	f := startFake(t, hangOnCommand)
	b := newBackend(t, "redis://"+f.addr()+"?pool_size=1&pool_timeout=100ms&read_timeout=2s")

	first := make(chan error, 1)
	go func() {
		_, err := b.Increment(ctx, backends.RedisIncr, "c", 0)
		first <- err
	}()
	<-f.received // the only connection is now busy

	_, err := b.Increment(ctx, backends.RedisIncr, "c", 0)
	backendtest.WantCode(t, err, backends.CodeUnavailable)
	backendtest.WantCode(t, <-first, backends.CodeOutcomeUnknown)
	if f.commands() != 1 {
		t.Fatalf("server got %d increments, want 1", f.commands())
	}
}

// TestCancelledBeforeSending: a context that is over before the call sends
// nothing.
func TestCancelledBeforeSending(t *testing.T) {
	f := startFake(t, hangOnCommand)
	b := newBackend(t, "redis://"+f.addr())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := b.Increment(ctx, backends.RedisIncr, "c", 0)
	backendtest.WantCode(t, err, backends.CodeUnavailable)
	if f.commands() != 0 {
		t.Fatalf("server got %d increments, want 0", f.commands())
	}
}

// TestErrorReplies: a server that refuses the command applied nothing.
func TestErrorReplies(t *testing.T) {
	cases := []struct {
		reply string
		want  backends.Code
	}{
		{"LOADING Redis is loading the dataset in memory", backends.CodeUnavailable},
		{"READONLY You can't write against a read only replica.", backends.CodeUnavailable},
		{"BUSY Redis is busy running a script.", backends.CodeUnavailable},
		{"OOM command not allowed when used memory > 'maxmemory'.", backends.CodeUnavailable},
		{"NOAUTH Authentication required.", backends.CodeUnavailable},
		{"ERR max number of clients reached", backends.CodeUnavailable},
		{"ERR something nobody expected", backends.CodeInternal},
	}
	for _, tc := range cases {
		for _, s := range strategies {
			t.Run(tc.reply+"/"+s.Strategy, func(t *testing.T) {
				mr := miniredis.RunT(t)
				b := newBackend(t, "redis://"+mr.Addr())
				mr.SetError(tc.reply)
				_, err := b.Increment(context.Background(), s.Strategy, "c", s.Max)
				backendtest.WantCode(t, err, tc.want)
				mr.SetError("")
				if mr.Exists(b.key("c")) {
					t.Fatalf("counter exists after a refused increment")
				}
			})
		}
	}
}

// TestWrongPassword: a refused login is unavailable.
func TestWrongPassword(t *testing.T) {
	mr := miniredis.RunT(t)
	mr.RequireAuth("right")
	b := newBackend(t, "redis://:wrong@"+mr.Addr())
	_, err := b.Increment(context.Background(), backends.RedisIncr, "c", 0)
	backendtest.WantCode(t, err, backends.CodeUnavailable)
	backendtest.WantCode(t, b.Health(context.Background()), backends.CodeUnavailable)

	good := newBackend(t, "redis://:right@"+mr.Addr())
	if _, err := good.Increment(context.Background(), backends.RedisIncr, "c", 0); err != nil {
		t.Fatalf("with the right password: %v", err)
	}
}

// fakeMode is how a fake server treats the increment commands.
type fakeMode int

const (
	silent           fakeMode = iota // reads everything, answers nothing
	hangOnCommand                    // answers the handshake, not the increment
	closeOnCommand                   // answers the handshake, closes on the increment
	garbageOnCommand                 // answers the handshake, garbage to the increment
)

// fake is a TCP server speaking just enough RESP to misbehave on purpose.
type fake struct {
	ln       net.Listener
	mode     fakeMode
	received chan struct{} // one value per increment command read

	mu    sync.Mutex
	n     int
	conns []net.Conn
	done  chan struct{}
}

// startFake starts a fake server on loopback, stopped at cleanup.
func startFake(t *testing.T, mode fakeMode) *fake {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fake{ln: ln, mode: mode, received: make(chan struct{}, 100), done: make(chan struct{})}
	go f.serve()
	t.Cleanup(f.stop)
	return f
}

func (f *fake) addr() string { return f.ln.Addr().String() }

// commands is the number of increment commands read.
func (f *fake) commands() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.n
}

func (f *fake) stop() {
	close(f.done)
	_ = f.ln.Close()
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.conns {
		_ = c.Close()
	}
}

func (f *fake) serve() {
	for {
		c, err := f.ln.Accept()
		if err != nil {
			return
		}
		f.mu.Lock()
		f.conns = append(f.conns, c)
		f.mu.Unlock()
		go f.handle(c)
	}
}

func (f *fake) handle(c net.Conn) {
	r := bufio.NewReader(c)
	for {
		args, err := readCommand(r)
		if err != nil {
			return
		}
		name := strings.ToUpper(args[0])
		increment := name == "INCR" || name == "EVALSHA" || name == "EVAL"
		if increment {
			f.mu.Lock()
			f.n++
			f.mu.Unlock()
			f.received <- struct{}{}
		}

		switch {
		case f.mode == silent:
			continue
		case !increment && name == "PING":
			_, _ = io.WriteString(c, "+PONG\r\n")
		case !increment:
			_, _ = fmt.Fprintf(c, "-ERR unknown command '%s'\r\n", args[0])
		case f.mode == hangOnCommand:
			<-f.done
			return
		case f.mode == closeOnCommand:
			_ = c.Close()
			return
		case f.mode == garbageOnCommand:
			_, _ = io.WriteString(c, "?what\r\n")
		}
	}
}

// readCommand reads one RESP array of bulk strings.
func readCommand(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(line, "*") {
		return nil, fmt.Errorf("not an array: %q", line)
	}
	n, err := strconv.Atoi(strings.TrimSpace(line[1:]))
	if err != nil || n < 1 {
		return nil, fmt.Errorf("bad array length in %q", line)
	}

	args := make([]string, n)
	for i := range args {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		size, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "$")))
		if err != nil {
			return nil, fmt.Errorf("bad bulk length in %q", line)
		}
		buf := make([]byte, size+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			return nil, err
		}
		args[i] = string(buf[:size])
	}
	return args, nil
}

// TestTarget: the address never shows the password; the library is named.
func TestTarget(t *testing.T) {
	cases := []struct {
		opts        Options
		wantAddress string
		wantKind    string
	}{
		{Options{URL: "redis://user:secret@127.0.0.1:6390/2?dial_timeout=1s"},
			"redis://user:xxxxx@127.0.0.1:6390/2", backends.KindLocal},
		{Options{URL: "rediss://:secret@cache.example.com:6380", Kind: backends.KindCloud},
			"rediss://:xxxxx@cache.example.com:6380", backends.KindCloud},
		{Options{URL: "redis://127.0.0.1:6390", Kind: backends.KindEmbedded},
			"redis://127.0.0.1:6390", backends.KindEmbedded},
	}
	for _, tc := range cases {
		b := newBackendWith(t, tc.opts)
		got := b.Target()
		if got.Address != tc.wantAddress || got.Kind != tc.wantKind {
			t.Errorf("Target of %q: got %+v, want address %q, kind %q",
				tc.opts.URL, got, tc.wantAddress, tc.wantKind)
		}
		if strings.Contains(fmt.Sprint(got), "secret") {
			t.Errorf("Target of %q shows the password: %+v", tc.opts.URL, got)
		}
		if !strings.HasPrefix(got.Library, "github.com/redis/go-redis/v9 v9.") {
			t.Errorf("Library: got %q, want github.com/redis/go-redis/v9 v9.x", got.Library)
		}
		if b.Name() != backends.Redis {
			t.Errorf("Name: got %q, want %q", b.Name(), backends.Redis)
		}
	}
}

// TestInvalidOptions: New fails only on options it cannot use.
func TestInvalidOptions(t *testing.T) {
	for _, url := range []string{
		"",
		"127.0.0.1:6379",
		"http://127.0.0.1:6379",
		"redis://127.0.0.1:6379/notadb",
		"redis://127.0.0.1:6379?read_timeout=soon",
	} {
		b, err := New(context.Background(), Options{URL: url})
		if err == nil {
			_ = b.Close()
			t.Errorf("New(%q): got no error, want one", url)
		}
	}

	_, err := New(context.Background(), Options{URL: "redis://:secret@127.0.0.1:6379/x"})
	if err == nil || strings.Contains(err.Error(), "secret") {
		t.Errorf("New with a bad URL: got %v, want an error without the password", err)
	}
}
