package embedded

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/alicebob/miniredis/v2/server"
	"google.golang.org/grpc/codes"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/emulator"
)

// Fault is what an embedded target does to the requests it matches: wait,
// then fail a share of them. It stays until cleared. Faults act inside the
// target, so the backends meet them through their real client libraries:
// miniredis through a command hook, minidyn through a wrapper around its HTTP
// handler, the emulator through its own fault API.
type Fault struct {
	// Operation limits the fault to one Redis command a client sends
	// ("INCR", "EVALSHA"; the commands a script runs inside the server are
	// never hit),
	// one DynamoDB operation ("UpdateItem") or one emulator RPC ("set-if",
	// "get"; see emulator.RPCNames). Empty matches every request.
	Operation string
	// Delay is added to every matching request before it is served.
	Delay time.Duration
	// FailShare is the fraction, 0 to 1, of matching requests that fail.
	FailShare float64
	// Failure is how they fail; Failures lists the choices of each backend.
	Failure string
}

// MaxFaultDelay bounds Fault.Delay.
const MaxFaultDelay = 10 * time.Second

// maxRedisOperation bounds the length of a Redis command name in a fault.
const maxRedisOperation = 32

// Failure kinds.
const (
	// FailRefuse answers an error that says nothing was done: BUSY from
	// Redis (the backend reports unavailable).
	FailRefuse = "refuse"
	// FailThrottle answers DynamoDB's ThrottlingException (unavailable).
	FailThrottle = "throttle"
	// FailError answers DynamoDB's InternalServerError without serving the
	// request; the client cannot tell, so an increment is outcome_unknown.
	FailError = "error"
	// FailDrop closes the connection before the request is served: nothing
	// is applied, but the client cannot know it.
	FailDrop = "drop"
	// FailDropReply serves the request, then closes the connection before
	// the answer: applied, and the client cannot know it.
	FailDropReply = "drop-reply"
)

// failures are the failure kinds of each backend, the first the default.
var failures = map[string][]string{
	backends.Redis:    {FailRefuse, FailDrop},
	backends.DynamoDB: {FailThrottle, FailError, FailDrop, FailDropReply},
	backends.Momento: {
		emulator.CodeName(codes.Unavailable), emulator.CodeName(codes.DeadlineExceeded),
		emulator.CodeName(codes.ResourceExhausted), emulator.CodeName(codes.Internal),
	},
}

// Failures returns the failure kinds of a backend, the default first.
func Failures(backend string) []string { return slices.Clone(failures[backend]) }

// Operations returns operation names a backend's fault may be limited to
// (for Redis, the commands the strategies send; any command the embedded
// Redis knows is accepted).
func Operations(backend string) []string {
	switch backend {
	case backends.Redis:
		return []string{"INCR", "EVALSHA", "EVAL", "GET", "DEL", "PING"}
	case backends.DynamoDB:
		return slices.Clone(dynamoOperations)
	case backends.Momento:
		return emulator.RPCNames()
	}
	return nil
}

// dynamoOperations are the DynamoDB operations the backend sends.
var dynamoOperations = []string{
	"UpdateItem", "GetItem", "DeleteItem", "DescribeTable", "CreateTable",
}

// Validate checks f for a backend and fills in the default failure.
func (f *Fault) Validate(backend string) error {
	kinds, ok := failures[backend]
	if !ok {
		return backends.Errorf(backends.CodeUnknownBackend, "no backend named %q", backend)
	}
	switch {
	case f.Delay < 0 || f.Delay > MaxFaultDelay:
		return backends.Errorf(backends.CodeInvalidInput,
			"delay %s: want 0 to %s", f.Delay, MaxFaultDelay)
	case !(f.FailShare >= 0 && f.FailShare <= 1):
		return backends.Errorf(backends.CodeInvalidInput,
			"failShare %v: want a fraction from 0 to 1", f.FailShare)
	case f.Delay == 0 && f.FailShare == 0:
		return backends.Errorf(backends.CodeInvalidInput,
			"the fault does nothing: set a delay, a failShare or both (DELETE clears faults)")
	}

	if f.Failure == "" && f.FailShare > 0 {
		f.Failure = kinds[0]
	}
	if f.Failure != "" && !slices.Contains(kinds, f.Failure) {
		return backends.Errorf(backends.CodeInvalidInput,
			"failure %q: %s fails with one of %s", f.Failure, backend,
			strings.Join(kinds, ", ")).With("failures", kinds)
	}

	switch backend {
	case backends.Redis:
		if len(f.Operation) > maxRedisOperation {
			return backends.Errorf(backends.CodeInvalidInput,
				"operation of %d characters: want one Redis command name, at most %d",
				len(f.Operation), maxRedisOperation)
		}
		if strings.ContainsFunc(f.Operation, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
				r == '_' || r == '-' || r == '|')
		}) {
			return backends.Errorf(backends.CodeInvalidInput,
				"operation %q: want one Redis command name such as INCR or EVALSHA",
				f.Operation)
		}
		f.Operation = strings.ToUpper(f.Operation)
	case backends.DynamoDB, backends.Momento:
		if ops := Operations(backend); f.Operation != "" && !slices.Contains(ops, f.Operation) {
			return backends.Errorf(backends.CodeInvalidInput,
				"operation %q: %s has %s", f.Operation, backend, strings.Join(ops, ", ")).
				With("operations", ops)
		}
	}
	return nil
}

// hits draws whether one matching request fails.
func (f *Fault) hits() bool {
	return f.FailShare >= 1 || (f.FailShare > 0 && rand.Float64() < f.FailShare)
}

// faultLayer holds the faults of the embedded targets.
type faultLayer struct {
	redis  atomic.Pointer[Fault]
	dynamo atomic.Pointer[Fault]
	// redisPeers are the client connections miniredis serves.
	redisPeers sync.Map // *server.Peer -> struct{}

	mu       sync.Mutex
	momento  *Fault
	momentos []int // ids of the emulator faults set for momento
}

// SetFault sets the fault of an embedded target, replacing the one it had.
// It fails with invalid_input for a bad fault and with CodeNotEmbedded for a
// backend whose target is not embedded.
func (t *Targets) SetFault(backend string, f Fault) error {
	if err := f.Validate(backend); err != nil {
		return err
	}
	if err := t.checkEmbedded(backend); err != nil {
		return err
	}

	switch backend {
	case backends.Redis:
		if f.Operation != "" && !t.Miniredis.Server().IsRegisteredCommand(f.Operation) {
			return backends.Errorf(backends.CodeInvalidInput,
				"operation %q: the embedded Redis has no such command; try %s",
				f.Operation, strings.Join(Operations(backend), ", ")).
				With("operations", Operations(backend))
		}
		t.faults.redis.Store(&f)
	case backends.DynamoDB:
		t.faults.dynamo.Store(&f)
	case backends.Momento:
		t.setMomentoFault(&f)
	}
	return nil
}

// ClearFault removes the fault of a backend's embedded target, if any.
func (t *Targets) ClearFault(backend string) error {
	if _, ok := failures[backend]; !ok {
		return backends.Errorf(backends.CodeUnknownBackend, "no backend named %q", backend)
	}
	if err := t.checkEmbedded(backend); err != nil {
		return err
	}

	switch backend {
	case backends.Redis:
		t.faults.redis.Store(nil)
	case backends.DynamoDB:
		t.faults.dynamo.Store(nil)
	case backends.Momento:
		t.setMomentoFault(nil)
	}
	return nil
}

// Fault returns the fault set on a backend's embedded target, if any.
func (t *Targets) Fault(backend string) (Fault, bool) {
	var f *Fault
	switch backend {
	case backends.Redis:
		f = t.faults.redis.Load()
	case backends.DynamoDB:
		f = t.faults.dynamo.Load()
	case backends.Momento:
		t.faults.mu.Lock()
		f = t.faults.momento
		t.faults.mu.Unlock()
	}
	if f == nil {
		return Fault{}, false
	}
	return *f, true
}

// Embedded reports whether the backend's target was started here.
func (t *Targets) Embedded(backend string) bool {
	if t == nil {
		return false
	}
	switch backend {
	case backends.Redis:
		return t.Miniredis != nil
	case backends.DynamoDB:
		return t.DynamoDB != nil
	case backends.Momento:
		return t.Emulator != nil
	}
	return false
}

// CodeNotEmbedded refuses fault injection on a target that is not embedded.
const CodeNotEmbedded backends.Code = "not_embedded"

func (t *Targets) checkEmbedded(backend string) error {
	if !t.Embedded(backend) {
		return backends.Errorf(CodeNotEmbedded,
			"%s does not run on an embedded target: faults can only be injected "+
				"into the targets CounterLab starts itself", backend)
	}
	return nil
}

// setMomentoFault replaces the emulator faults set for momento with f's.
func (t *Targets) setMomentoFault(f *Fault) {
	t.faults.mu.Lock()
	defer t.faults.mu.Unlock()

	for _, id := range t.faults.momentos {
		t.Emulator.RemoveFault(id)
	}
	t.faults.momentos = nil
	t.faults.momento = f
	if f == nil {
		return
	}

	if f.Delay > 0 {
		t.faults.momentos = append(t.faults.momentos, t.Emulator.AddFault(emulator.Fault{
			RPC: f.Operation, Delay: f.Delay,
		}))
	}
	if f.FailShare > 0 {
		code, _ := emulator.ParseCode(f.Failure) // checked by Validate
		t.faults.momentos = append(t.faults.momentos, t.Emulator.AddFault(emulator.Fault{
			RPC: f.Operation, Code: code, Share: f.FailShare,
		}))
	}
}

// redisSetup are the commands a new connection sends before any other;
// faults spare them, so that a fault hits the request it is meant for.
var redisSetup = []string{"HELLO", "AUTH", "CLIENT", "SELECT", "READONLY"}

// hookRedis makes miniredis apply the Redis fault to every command a client
// sends. It replaces any hook set before, such as miniredis's SetError.
//
// miniredis runs the commands of a Lua script (redis.call) through the same
// hook, each on a peer of its own; a fault must not hit them, or a dropped
// command would fail the script with an error reply instead of looking like a
// dropped connection. A fault on the script's command (EVALSHA) covers it.
func (l *faultLayer) hookRedis(m *miniredis.Miniredis) {
	m.Server().SetPreHook(func(c *server.Peer, cmd string, _ ...string) bool {
		// Every command is looked at, so that a connection is known as a
		// client's from its first command on, fault or not.
		client := l.fromClient(c)
		f := l.redis.Load()
		if f == nil || !client || slices.Contains(redisSetup, cmd) ||
			(f.Operation != "" && f.Operation != cmd) {
			return false
		}

		if f.Delay > 0 {
			time.Sleep(f.Delay)
		}
		if !f.hits() {
			return false
		}
		switch f.Failure {
		case FailDrop:
			c.Close() // no answer; miniredis closes the connection
		default:
			c.WriteError("BUSY fault injected by CounterLab; the command was not run")
		}
		return true
	})
}

// fromClient reports whether peer c is a client's connection rather than a
// command run by a script. A connection's first command comes on a peer
// without a context (miniredis sets it while serving), whereas a script's
// commands come on peers that share the script's context and are never seen
// bare: so a peer is a client's when it was first seen bare.
func (l *faultLayer) fromClient(c *server.Peer) bool {
	if _, ok := l.redisPeers.Load(c); ok {
		return true
	}
	if c.Ctx != nil {
		return false
	}
	l.redisPeers.Store(c, struct{}{})
	c.OnDisconnect(func() { l.redisPeers.Delete(c) })
	return true
}

// wrapDynamoDB applies the DynamoDB fault to every request of h.
func (l *faultLayer) wrapDynamoDB(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := l.dynamo.Load()
		_, op, _ := strings.Cut(r.Header.Get("X-Amz-Target"), ".")
		if f == nil || (f.Operation != "" && f.Operation != op) {
			h.ServeHTTP(w, r)
			return
		}

		if f.Delay > 0 {
			t := time.NewTimer(f.Delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return
			}
		}
		if !f.hits() {
			h.ServeHTTP(w, r)
			return
		}

		switch f.Failure {
		case FailThrottle:
			dynamoError(w, http.StatusBadRequest, "ThrottlingException",
				"fault injected by CounterLab: rate exceeded; the request was not served")
		case FailError:
			dynamoError(w, http.StatusInternalServerError, "InternalServerError",
				"fault injected by CounterLab; the request was not served")
		case FailDrop:
			panic(http.ErrAbortHandler) // closes the connection, unanswered
		case FailDropReply:
			h.ServeHTTP(discard{header: http.Header{}}, r)
			panic(http.ErrAbortHandler)
		}
	})
}

// dynamoError answers a DynamoDB error in the service's JSON form.
func dynamoError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":%q}`, typ, msg)
}

// discard is a response writer that drops the answer.
type discard struct{ header http.Header }

func (d discard) Header() http.Header         { return d.header }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}
