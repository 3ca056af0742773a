package emulator

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
)

// Fault makes matching requests slow, failing or both. Faults set from Go
// stay until removed. A request matched by several faults waits for the sum
// of their delays and fails with the code of the first failing one.
type Fault struct {
	// Cache limits the fault to one cache; empty matches every cache. For
	// control calls the cache is the one the request names.
	Cache string

	// RPC limits the fault to one method, named as the momento-local
	// headers name it ("get", "set-if", "increment", ...; see RPCNames);
	// empty matches every method.
	RPC string

	// Delay is how long a hit request waits before it is served.
	Delay time.Duration

	// Code is the gRPC code a hit request fails with after its delay;
	// codes.OK serves it normally after the delay.
	Code codes.Code

	// Share is the fraction (0 to 1) of matching requests hit, chosen at
	// random; 0 means all of them.
	Share float64
}

// FaultEntry is a fault with the id AddFault gave it.
type FaultEntry struct {
	ID int
	Fault
}

// String describes the fault in one line.
func (f Fault) String() string {
	var b strings.Builder
	b.WriteString("fault")
	if f.Cache != "" {
		fmt.Fprintf(&b, " cache=%s", f.Cache)
	}
	if f.RPC != "" {
		fmt.Fprintf(&b, " rpc=%s", f.RPC)
	}
	if f.Delay > 0 {
		fmt.Fprintf(&b, " delay=%s", f.Delay)
	}
	if f.Code != codes.OK {
		fmt.Fprintf(&b, " error=%s", CodeName(f.Code))
	}
	if f.Share > 0 && f.Share < 1 {
		fmt.Fprintf(&b, " share=%g", f.Share)
	}
	return b.String()
}

func (f Fault) matches(cacheName, rpc string) bool {
	return (f.Cache == "" || f.Cache == cacheName) && (f.RPC == "" || f.RPC == rpc)
}

func (f Fault) hits() bool {
	return f.Share <= 0 || f.Share >= 1 || rand.Float64() < f.Share
}

// AddFault adds a fault and returns its id, for RemoveFault.
func (s *Server) AddFault(f Fault) int {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()

	s.faultNext++
	next := slices.Clone(*s.faultList.Load())
	next = append(next, FaultEntry{ID: s.faultNext, Fault: f})
	s.faultList.Store(&next)
	s.log.Info("emulator fault added", "id", s.faultNext, "fault", f.String())
	return s.faultNext
}

// RemoveFault removes the fault with the given id; an unknown id is ignored.
func (s *Server) RemoveFault(id int) {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()

	next := slices.DeleteFunc(slices.Clone(*s.faultList.Load()),
		func(e FaultEntry) bool { return e.ID == id })
	s.faultList.Store(&next)
}

// ClearFaults removes every fault set from Go. Faults asked for by request
// headers are not affected: they live in the requests.
func (s *Server) ClearFaults() {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()

	next := []FaultEntry{}
	s.faultList.Store(&next)
}

// Faults returns the faults set from Go, oldest first.
func (s *Server) Faults() []Fault {
	list := *s.faultList.Load()
	out := make([]Fault, len(list))
	for i, e := range list {
		out[i] = e.Fault
	}
	return out
}

// FaultEntries returns the faults set from Go with their ids, oldest first.
func (s *Server) FaultEntries() []FaultEntry {
	return slices.Clone(*s.faultList.Load())
}

// apiFaults returns what the Go faults do to one request.
func (s *Server) apiFaults(cacheName, rpc string) (time.Duration, codes.Code) {
	list := *s.faultList.Load()
	if len(list) == 0 {
		return 0, codes.OK
	}

	var delay time.Duration
	code := codes.OK
	for _, e := range list {
		if !e.matches(cacheName, rpc) || !e.hits() {
			continue
		}
		delay += e.Delay
		if code == codes.OK {
			code = e.Code
		}
	}
	return delay, code
}

// Headers of the SDK's momento-local metadata middleware.
const (
	hdrRequestID   = "request-id"
	hdrReturnError = "return-error"
	hdrErrorRPCs   = "error-rpcs"
	hdrErrorCount  = "error-count"
	hdrDelayMillis = "delay-ms"
	hdrDelayRPCs   = "delay-rpcs"
	hdrDelayCount  = "delay-count"
)

// sessions counts, per request-id, the requests already failed or delayed
// by header faults, so that error-count and delay-count can stop them.
type sessions struct {
	mu     sync.Mutex
	counts map[string]*sessionCount
	order  []string // oldest first, to forget old sessions
}

type sessionCount struct{ errors, delays int }

// maxSessions bounds the memory held for request-ids.
const maxSessions = 4096

// take reports whether a request of session id may be hit once more when
// limit such hits are allowed, and counts it if so.
func (ss *sessions) take(id string, limit int, delays bool) bool {
	ss.mu.Lock()
	defer ss.mu.Unlock()

	if ss.counts == nil {
		ss.counts = make(map[string]*sessionCount)
	}
	c := ss.counts[id]
	if c == nil {
		if len(ss.order) >= maxSessions {
			delete(ss.counts, ss.order[0])
			ss.order = ss.order[1:]
		}
		c = &sessionCount{}
		ss.counts[id] = c
		ss.order = append(ss.order, id)
	}

	n := &c.errors
	if delays {
		n = &c.delays
	}
	if *n >= limit {
		return false
	}
	*n++
	return true
}

// headerFaults returns what the momento-local headers of a request ask for.
func (s *Server) headerFaults(md metadata.MD, rpc string) (time.Duration, codes.Code, error) {
	errName := first(md, hdrReturnError)
	delayText := first(md, hdrDelayMillis)
	if errName == "" && delayText == "" {
		return 0, codes.OK, nil
	}
	id := first(md, hdrRequestID)

	var delay time.Duration
	if delayText != "" {
		ms, err := strconv.Atoi(delayText)
		if err != nil || ms < 0 {
			return 0, codes.OK, errInvalid("%s header %q is not a number of milliseconds",
				hdrDelayMillis, delayText)
		}
		hit, err := s.headerHit(md, id, rpc, hdrDelayRPCs, hdrDelayCount, true)
		if err != nil {
			return 0, codes.OK, err
		}
		if hit {
			delay = time.Duration(ms) * time.Millisecond
		}
	}

	code := codes.OK
	if errName != "" {
		c, err := ParseCode(errName)
		if err != nil {
			return 0, codes.OK, errInvalid("%s header: %v", hdrReturnError, err)
		}
		hit, err := s.headerHit(md, id, rpc, hdrErrorRPCs, hdrErrorCount, false)
		if err != nil {
			return 0, codes.OK, err
		}
		if hit {
			code = c
		}
	}
	return delay, code, nil
}

// headerHit reports whether a request is hit by one header fault: its RPC is
// listed (or no list is given) and its session has hits left.
func (s *Server) headerHit(md metadata.MD, id, rpc, rpcsHdr, countHdr string,
	delays bool) (bool, error) {
	if list, ok := md[rpcsHdr]; ok && !listed(list, rpc) {
		return false, nil
	}

	countText := first(md, countHdr)
	if countText == "" {
		return true, nil
	}
	limit, err := strconv.Atoi(countText)
	if err != nil || limit < 0 {
		return false, errInvalid("%s header %q is not a count", countHdr, countText)
	}
	return s.sessions.take(id, limit, delays), nil
}

// listed reports whether rpc is in a list of RPC names separated by spaces
// or commas, as the middleware sends them.
func listed(values []string, rpc string) bool {
	for _, v := range values {
		for _, name := range strings.FieldsFunc(v, func(r rune) bool {
			return r == ' ' || r == ','
		}) {
			if name == rpc {
				return true
			}
		}
	}
	return false
}

func first(md metadata.MD, key string) string {
	if v := md[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// injectFaults applies the Go faults and the header faults to one request:
// it waits for their delay, then returns the error they ask for, if any.
func (s *Server) injectFaults(ctx context.Context, cacheName, rpc string) error {
	apiDelay, apiCode := s.apiFaults(cacheName, rpc)

	// Most requests carry no fault header: check for one without copying
	// the whole metadata.
	var hdrDelay time.Duration
	hdrCode := codes.OK
	if len(metadata.ValueFromIncomingContext(ctx, hdrReturnError)) > 0 ||
		len(metadata.ValueFromIncomingContext(ctx, hdrDelayMillis)) > 0 {
		md, _ := metadata.FromIncomingContext(ctx)
		var err error
		hdrDelay, hdrCode, err = s.headerFaults(md, rpc)
		if err != nil {
			return err
		}
	}

	delay := apiDelay + hdrDelay
	code := apiCode
	if code == codes.OK {
		code = hdrCode
	}
	if delay == 0 && code == codes.OK {
		return nil
	}

	s.log.Info("emulator fault injected", "rpc", rpc, "cache", cacheName,
		"delay", delay, "error", CodeName(code),
		"fromHeaders", hdrDelay > 0 || hdrCode != codes.OK)

	if delay > 0 {
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return status.FromContextError(ctx.Err()).Err()
		}
	}

	if code != codes.OK {
		return status.Errorf(code, "fault injected by the CounterLab emulator into %s", rpc)
	}
	return nil
}

// codeNames are the momento-local names of gRPC codes.
var codeNames = map[codes.Code]string{
	codes.OK:                 "ok",
	codes.Canceled:           "cancelled",
	codes.Unknown:            "unknown",
	codes.InvalidArgument:    "invalid-argument",
	codes.DeadlineExceeded:   "deadline-exceeded",
	codes.NotFound:           "not-found",
	codes.AlreadyExists:      "already-exists",
	codes.PermissionDenied:   "permission-denied",
	codes.ResourceExhausted:  "resource-exhausted",
	codes.FailedPrecondition: "failed-precondition",
	codes.Aborted:            "aborted",
	codes.OutOfRange:         "out-of-range",
	codes.Unimplemented:      "unimplemented",
	codes.Internal:           "internal",
	codes.Unavailable:        "unavailable",
	codes.DataLoss:           "data-loss",
	codes.Unauthenticated:    "unauthenticated",
}

// CodeName returns the momento-local name of a gRPC code ("unavailable",
// "not-found", ...).
func CodeName(c codes.Code) string {
	if n, ok := codeNames[c]; ok {
		return n
	}
	return strconv.Itoa(int(c))
}

// ParseCode reads a gRPC code by its momento-local name ("unavailable",
// "resource-exhausted", ...), by its Go name ("Unavailable") or by number.
func ParseCode(name string) (codes.Code, error) {
	for c, n := range codeNames {
		if strings.EqualFold(name, n) || name == c.String() {
			return c, nil
		}
	}
	if name == "canceled" {
		return codes.Canceled, nil
	}
	if n, err := strconv.Atoi(name); err == nil && n >= 0 && n <= 16 {
		return codes.Code(n), nil
	}
	return codes.OK, fmt.Errorf("unknown error code %q (want a name like unavailable)", name)
}

// faultState is the part of Server that holds faults.
type faultState struct {
	faultMu   sync.Mutex
	faultNext int
	faultList atomic.Pointer[[]FaultEntry]
	sessions  sessions
}
