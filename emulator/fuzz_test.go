package emulator_test

// FuzzHandlers feeds arbitrary keys, values, TTLs, amounts, conditions,
// cache names and fault headers through the emulator's handlers over a
// real gRPC connection, and checks each answer against a model of the
// item's state: no panic, every error a gRPC status with the code the
// model expects, and the item left as the model says.
//
// The seed corpus runs with `go test ./emulator/`; fuzz with
//
//	go test -run '^$' -fuzz FuzzHandlers -fuzztime 2m ./emulator/

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	"github.com/counterlab/counterlab/emulator"
	pb "github.com/counterlab/counterlab/emulator/protocol"
)

// fzCache is the cache the fuzzed data calls use.
const fzCache = "fuzz"

// fzSetupTTL is the TTL of the item a case starts from.
const fzSetupTTL = time.Hour

// fzLongTTL is the shortest TTL after which the model still expects to
// read what was written.
const fzLongTTL = 10_000 // ms

// fzInput is one fuzzed case. Op selects the method (low 5 bits) and where
// the call goes (high 3 bits: the fuzz cache; a cache named Cache; no cache
// header; the fault header ReturnError; or a value padded to the item size
// limit).
type fzInput struct {
	Op                         uint8
	Key, Value, Initial, Check []byte
	Present                    bool
	TTL                        uint64
	Amount                     int64
	Cache, ReturnError         string
}

// Where a call goes, from the high bits of Op.
const (
	fzToCache    = iota // modes 0-3: the fuzz cache
	fzToNamed    = 4    // the cache named by Cache
	fzNoHeader   = 5    // no cache header
	fzWithFault  = 6    // return-error: ReturnError
	fzBigPadding = 7    // Value padded to around the item size limit
)

// fzOps names the methods, indexed by the low bits of Op.
var fzOps = []string{
	"Get", "GetWithHash", "Set", "SetIf", "SetIfNotExists", "SetIfHash", "Delete",
	"KeysExist", "Increment", "UpdateTtl", "ItemGetTtl", "ItemGetType", "GetBatch",
	"SetBatch", "CreateDeleteCache", "FlushCache", "ListCaches", "Ping",
}

func FuzzHandlers(f *testing.F) {
	for i := range fzOps {
		for _, mode := range []uint8{0, fzToNamed, fzNoHeader, fzWithFault, fzBigPadding} {
			f.Add(uint8(i)|mode<<5, []byte("k"), []byte("7"), []byte("41"), []byte("41"),
				i%2 == 0, uint64(60_000), int64(i), fzCache, "unavailable")
		}
	}
	seeds := []fzInput{
		{Op: 8, Key: []byte("n"), Initial: []byte("9223372036854775807"), Present: true,
			TTL: 1000, Amount: 1},
		{Op: 8, Key: []byte("n"), Initial: []byte("-9223372036854775808"), Present: true,
			TTL: 1000, Amount: -1},
		{Op: 8, Key: []byte("n"), Initial: []byte("x1"), Present: true, TTL: 1000, Amount: 1},
		{Op: 8, Key: []byte("n"), Initial: []byte(""), Present: true, TTL: 0, Amount: 1},
		{Op: 3, Key: []byte("c"), Value: []byte("v"), Initial: []byte(""), Check: []byte(""),
			Present: true, TTL: math.MaxUint64, Amount: 3},
		{Op: 9, Key: []byte("t"), Initial: []byte("v"), Present: true, TTL: 0, Amount: 1},
		{Op: 9, Key: []byte("t"), Initial: []byte("v"), Present: true, TTL: math.MaxUint64},
		{Op: 13, Key: []byte("a"), Value: []byte("1"), Check: []byte(""), TTL: 5},
		{Op: 2 | fzBigPadding<<5, Key: []byte("big"), TTL: 60_000, Amount: 2},
		{Op: 13 | fzBigPadding<<5, Key: []byte("big"), Check: []byte("b"), TTL: 60_000},
		{Op: 0 | fzWithFault<<5, Key: []byte("k"), ReturnError: "no-such-code"},
		{Op: 14, Cache: ""},
		{Op: 14, Cache: fzCache},
		{Op: 15, Cache: fzCache, Key: []byte("k"), Initial: []byte("v"), Present: true},
		{Op: 2 | fzToNamed<<5, Key: []byte("k"), Value: []byte("v"), TTL: 9, Cache: "nope"},
		{Op: 0xff, Key: []byte{0, 0xff}, Value: []byte{0x80}},
	}
	for cond := range int64(6) { // every SetIf condition, present or not, equal or not
		for _, present := range []bool{false, true} {
			for _, check := range []string{"a", "b"} {
				seeds = append(seeds, fzInput{Op: 3, Key: []byte("c"), Value: []byte("new"),
					Initial: []byte("a"), Check: []byte(check), Present: present,
					TTL: 60_000, Amount: cond})
			}
		}
	}
	for cond := range int64(5) { // every SetIfHash condition, right hash or not
		for _, present := range []bool{false, true} {
			for _, ttl := range []uint64{60_000, 60_001} {
				seeds = append(seeds, fzInput{Op: 5, Key: []byte("h"), Value: []byte("new"),
					Initial: []byte("a"), Check: []byte("x"), Present: present, TTL: ttl,
					Amount: cond})
			}
		}
	}
	for kind := range int64(3) { // every UpdateTtl change, longer or shorter
		for _, ttl := range []uint64{60_000, 7_200_000} {
			seeds = append(seeds, fzInput{Op: 9, Key: []byte("u"), Initial: []byte("v"),
				Present: true, TTL: ttl, Amount: kind})
		}
	}
	for _, in := range seeds {
		f.Add(in.Op, in.Key, in.Value, in.Initial, in.Check, in.Present, in.TTL, in.Amount,
			in.Cache, in.ReturnError)
	}

	s, err := emulator.RunWithOptions(emulator.Options{Caches: []string{fzCache}})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = s.Close() })
	conn, err := grpc.NewClient(s.Addr(),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(
			grpc.MaxCallRecvMsgSize(16<<20), grpc.MaxCallSendMsgSize(16<<20)))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = conn.Close() })

	f.Fuzz(func(t *testing.T, op uint8, key, value, initial, check []byte, present bool,
		ttl uint64, amount int64, cacheName, returnError string) {
		in := fzInput{op, key, value, initial, check, present, ttl, amount, cacheName,
			returnError}
		r := &fzRig{t: t, conn: conn}
		r.run(in)
	})
}

// fzRig runs one fuzzed case.
type fzRig struct {
	t    *testing.T
	conn *grpc.ClientConn

	in    fzInput
	name  string // the method
	state fzState
	// header is the cache header sent, ok false when none is.
	header   string
	hasCache bool
	faults   metadata.MD
}

// fzState is the model of the item under Key in the fuzz cache.
type fzState struct {
	present bool
	value   []byte
	hash    []byte
}

// expectation is what the model expects of a call: a code, and for OK a
// check of the answer and the state after.
type expectation struct {
	code  codes.Code
	check func()
}

func (r *fzRig) run(in fzInput) {
	r.in = in
	r.name = fzOps[int(in.Op&31)%len(fzOps)]
	mode := in.Op >> 5
	if (r.name == "CreateDeleteCache" || r.name == "FlushCache") && !utf8.ValidString(in.Cache) {
		return // a proto string must be UTF-8: the client would refuse it
	}

	if mode == fzBigPadding {
		// Key plus value at the limit -2..+1 bytes.
		d := int(uint64(in.Amount)%4) - 2
		if n := emulator.MaxItemSize - len(in.Key) + d; n > len(in.Value) {
			pad := bytes.Repeat([]byte{'p'}, n-len(in.Value))
			r.in.Value = append(slices.Clip(in.Value), pad...)
		}
	}
	r.setup()

	r.header, r.hasCache = fzCache, true
	skipModel := false
	var forced *codes.Code
	switch mode {
	case fzToNamed:
		if !printable(in.Cache) {
			return
		}
		r.header = in.Cache
		switch in.Cache {
		case "":
			forced = codePtr(codes.InvalidArgument)
		case fzCache:
		default:
			forced = codePtr(codes.NotFound)
		}
	case fzNoHeader:
		r.hasCache = false
		forced = codePtr(codes.InvalidArgument)
	case fzWithFault:
		if in.ReturnError == "" || !printable(in.ReturnError) {
			return
		}
		r.faults = metadata.Pairs("return-error", in.ReturnError)
		c, err := emulator.ParseCode(in.ReturnError)
		switch {
		case err != nil:
			forced = codePtr(codes.InvalidArgument)
		case c != codes.OK:
			forced = codePtr(c)
		}
	}
	if forced != nil && (r.name == "Ping" || r.name == "ListCaches" ||
		r.name == "CreateDeleteCache" || r.name == "FlushCache") && mode != fzWithFault {
		// Control calls and Ping need no cache header.
		forced = nil
	}
	if forced != nil {
		skipModel = true
	}

	got, exp := r.call()
	if skipModel {
		exp = expectation{code: *forced}
	}
	st, ok := status.FromError(got)
	if !ok {
		r.t.Fatalf("%s: error %v is not a gRPC status", r.name, got)
	}
	if st.Code() != exp.code {
		r.t.Fatalf("%s (%s): got %v %q, want %v", r.name, r.describe(), st.Code(),
			st.Message(), exp.code)
	}
	if st.Code() == codes.OK && exp.check != nil {
		exp.check()
	}
	if st.Code() != codes.OK {
		r.checkUnchanged()
	}
}

func codePtr(c codes.Code) *codes.Code { return &c }

// printable reports whether v can travel as a gRPC header value and a
// proto string.
func printable(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			return false
		}
	}
	return true
}

func (r *fzRig) describe() string {
	short := func(b []byte) string {
		if len(b) > 24 {
			return strconv.Quote(string(b[:24])) + "..." + strconv.Itoa(len(b))
		}
		return strconv.Quote(string(b))
	}
	return "key " + short(r.in.Key) + " value " + short(r.in.Value) + " initial " +
		short(r.in.Initial) + " present " + strconv.FormatBool(r.state.present) +
		" check " + short(r.in.Check) + " ttl " + strconv.FormatUint(r.in.TTL, 10) +
		" amount " + strconv.FormatInt(r.in.Amount, 10) + " cache " +
		strconv.Quote(r.header)
}

func (r *fzRig) ctx(withHeaders bool) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	r.t.Cleanup(cancel)
	if !withHeaders {
		return metadata.AppendToOutgoingContext(ctx, "cache", fzCache)
	}
	md := r.faults.Copy()
	if md == nil {
		md = metadata.MD{}
	}
	if r.hasCache {
		md.Set("cache", r.header)
	}
	return metadata.NewOutgoingContext(ctx, md)
}

func (r *fzRig) invoke(method string, req, resp proto.Message) error {
	return r.conn.Invoke(r.ctx(true), "/"+method, req, resp)
}

// setup puts the item the case starts from under Key, when it fits.
func (r *fzRig) setup() {
	in := r.in
	if len(in.Key) == 0 {
		return
	}
	fits := len(in.Key)+len(in.Initial) <= emulator.MaxItemSize
	if !in.Present || !fits {
		err := r.conn.Invoke(r.ctx(false), "/cache_client.Scs/Delete",
			&pb.DeleteRequest{Key: in.Key}, &pb.Empty{})
		if err != nil {
			r.t.Fatalf("setup Delete: %v", err)
		}
		return
	}

	err := r.conn.Invoke(r.ctx(false), "/cache_client.Scs/Set",
		&pb.SetRequest{Key: in.Key, Value: in.Initial, TtlMs: uint64(fzSetupTTL.Milliseconds())},
		&pb.SetResponse{})
	if err != nil {
		r.t.Fatalf("setup Set: %v", err)
	}
	r.state = r.read()
}

// read returns the item under Key in the fuzz cache, as GetWithHash sees
// it.
func (r *fzRig) read() fzState {
	resp := &pb.GetWithHashResponse{}
	err := r.conn.Invoke(r.ctx(false), "/cache_client.Scs/GetWithHash",
		&pb.GetWithHashRequest{Key: r.in.Key}, resp)
	if err != nil {
		r.t.Fatalf("read GetWithHash: %v", err)
	}
	switch o := resp.Outcome.(type) {
	case *pb.GetWithHashResponse_Hit:
		if len(o.Hit.Hash) == 0 {
			r.t.Fatalf("GetWithHash: a hit without a hash")
		}
		return fzState{present: true, value: o.Hit.Value, hash: o.Hit.Hash}
	case *pb.GetWithHashResponse_Miss:
		return fzState{}
	default:
		r.t.Fatalf("GetWithHash: no outcome")
		return fzState{}
	}
}

// checkUnchanged fails the case unless the item is as it was.
func (r *fzRig) checkUnchanged() {
	if len(r.in.Key) == 0 {
		return
	}
	r.checkState(r.state.present, r.state.value)
}

func (r *fzRig) checkState(present bool, value []byte) {
	r.t.Helper()
	got := r.read()
	if got.present != present || !bytes.Equal(got.value, value) {
		r.t.Fatalf("%s (%s): item after: present %v %d bytes, want present %v %d bytes",
			r.name, r.describe(), got.present, len(got.value), present, len(value))
	}
}

// checkWritten checks the item after a write of value with the case's TTL.
func (r *fzRig) checkWritten(value []byte) {
	r.t.Helper()
	if r.in.TTL >= fzLongTTL {
		r.checkState(true, value)
	}
}

// writeCode is the code the model expects of a write of value under key.
func writeCode(key, value []byte, ttl uint64) codes.Code {
	switch {
	case len(key) == 0:
		return codes.InvalidArgument
	case len(key)+len(value) > emulator.MaxItemSize:
		return codes.ResourceExhausted
	case ttl == 0:
		return codes.InvalidArgument
	}
	return codes.OK
}

func keyCode(key []byte) codes.Code {
	if len(key) == 0 {
		return codes.InvalidArgument
	}
	return codes.OK
}

// call makes the case's call and returns its error and what the model
// expects of it.
func (r *fzRig) call() (error, expectation) {
	in, st := r.in, r.state
	switch r.name {
	case "Get":
		resp := &pb.GetResponse{}
		err := r.invoke("cache_client.Scs/Get", &pb.GetRequest{Key: in.Key}, resp)
		return err, expectation{keyCode(in.Key), func() {
			r.checkGet(resp, st)
		}}

	case "GetWithHash":
		resp := &pb.GetWithHashResponse{}
		err := r.invoke("cache_client.Scs/GetWithHash", &pb.GetWithHashRequest{Key: in.Key}, resp)
		return err, expectation{keyCode(in.Key), func() {
			hit, isHit := resp.Outcome.(*pb.GetWithHashResponse_Hit)
			_, isMiss := resp.Outcome.(*pb.GetWithHashResponse_Miss)
			switch {
			case st.present && (!isHit || !bytes.Equal(hit.Hit.Value, st.value) ||
				!bytes.Equal(hit.Hit.Hash, st.hash)):
				r.t.Fatalf("GetWithHash: got %v, want a hit with the stored value and hash", resp)
			case !st.present && !isMiss:
				r.t.Fatalf("GetWithHash: got %v, want a miss", resp)
			}
		}}

	case "Set":
		err := r.invoke("cache_client.Scs/Set",
			&pb.SetRequest{Key: in.Key, Value: in.Value, TtlMs: in.TTL}, &pb.SetResponse{})
		return err, expectation{writeCode(in.Key, in.Value, in.TTL), func() {
			r.checkWritten(in.Value)
		}}

	case "SetIf":
		return r.setIf()

	case "SetIfNotExists":
		resp := &pb.WriteOutcome{}
		err := r.invoke("cache_client.Scs/SetIfNotExists",
			&pb.SetIfNotExistsRequest{Key: in.Key, Value: in.Value, TtlMs: in.TTL}, resp)
		return err, expectation{writeCode(in.Key, in.Value, in.TTL), func() {
			r.checkWriteOutcome(resp, !st.present)
		}}

	case "SetIfHash":
		return r.setIfHash()

	case "Delete":
		err := r.invoke("cache_client.Scs/Delete", &pb.DeleteRequest{Key: in.Key}, &pb.Empty{})
		return err, expectation{keyCode(in.Key), func() { r.checkState(false, nil) }}

	case "KeysExist":
		resp := &pb.KeysExistResponse{}
		err := r.invoke("cache_client.Scs/KeysExist",
			&pb.KeysExistRequest{Keys: [][]byte{in.Key, in.Check}}, resp)
		want := keyCode(in.Key)
		if want == codes.OK {
			want = keyCode(in.Check)
		}
		return err, expectation{want, func() {
			e := resp.Exists
			same := bytes.Equal(in.Key, in.Check)
			if len(e) != 2 || e[0] != st.present || (same && e[1] != e[0]) {
				r.t.Fatalf("KeysExist: got %v, want [%v ...]", e, st.present)
			}
		}}

	case "Increment":
		return r.increment()

	case "UpdateTtl":
		return r.updateTTL()

	case "ItemGetTtl":
		resp := &pb.ItemGetTtlResponse{}
		err := r.invoke("cache_client.Scs/ItemGetTtl", &pb.ItemGetTtlRequest{Key: in.Key}, resp)
		return err, expectation{keyCode(in.Key), func() {
			found, isFound := resp.Outcome.(*pb.ItemGetTtlResponse_Found)
			_, isMissing := resp.Outcome.(*pb.ItemGetTtlResponse_Missing)
			setup := uint64(fzSetupTTL.Milliseconds())
			switch {
			case st.present && (!isFound || found.Found.RemainingMs > setup ||
				found.Found.RemainingMs < setup-60_000):
				r.t.Fatalf("ItemGetTtl: got %v, want about %d ms", resp, setup)
			case !st.present && !isMissing:
				r.t.Fatalf("ItemGetTtl: got %v, want missing", resp)
			}
		}}

	case "ItemGetType":
		resp := &pb.ItemGetTypeResponse{}
		err := r.invoke("cache_client.Scs/ItemGetType", &pb.ItemGetTypeRequest{Key: in.Key}, resp)
		return err, expectation{keyCode(in.Key), func() {
			found, isFound := resp.Outcome.(*pb.ItemGetTypeResponse_Found)
			_, isMissing := resp.Outcome.(*pb.ItemGetTypeResponse_Missing)
			switch {
			case st.present && (!isFound || found.Found.Kind != pb.ItemKind_ITEM_KIND_SCALAR):
				r.t.Fatalf("ItemGetType: got %v, want a scalar", resp)
			case !st.present && !isMissing:
				r.t.Fatalf("ItemGetType: got %v, want missing", resp)
			}
		}}

	case "GetBatch":
		return r.getBatch()

	case "SetBatch":
		return r.setBatch()

	case "CreateDeleteCache":
		return r.createDeleteCache()

	case "FlushCache":
		return r.flushCache()

	case "ListCaches":
		resp := &pb.ListCachesResponse{}
		err := r.invoke("control_client.ScsControl/ListCaches", &pb.ListCachesRequest{}, resp)
		return err, expectation{codes.OK, func() {
			if !slices.ContainsFunc(resp.Caches, func(c *pb.CacheInfo) bool {
				return c.Name == fzCache
			}) {
				r.t.Fatalf("ListCaches: %q missing from %v", fzCache, resp.Caches)
			}
		}}

	default: // Ping
		err := r.invoke("cache_client.Ping/Ping", &pb.Empty{}, &pb.Empty{})
		return err, expectation{codes.OK, nil}
	}
}

func (r *fzRig) checkGet(resp *pb.GetResponse, st fzState) {
	switch {
	case st.present && (resp.Result != pb.CacheResult_CACHE_RESULT_HIT ||
		!bytes.Equal(resp.Value, st.value)):
		r.t.Fatalf("Get: got %v, want a hit with %d bytes", resp.Result, len(st.value))
	case !st.present && resp.Result != pb.CacheResult_CACHE_RESULT_MISS:
		r.t.Fatalf("Get: got %v, want a miss", resp.Result)
	}
}

// checkWriteOutcome checks a SetIf or SetIfNotExists answer and the item
// after it.
func (r *fzRig) checkWriteOutcome(resp *pb.WriteOutcome, stored bool) {
	_, isStored := resp.Outcome.(*pb.WriteOutcome_Stored)
	_, isNotStored := resp.Outcome.(*pb.WriteOutcome_NotStored)
	if isStored != stored || isStored == isNotStored {
		r.t.Fatalf("%s (%s): got %v, want stored %v", r.name, r.describe(), resp, stored)
	}
	if stored {
		r.checkWritten(r.in.Value)
	} else {
		r.checkUnchanged()
	}
}

func (r *fzRig) setIf() (error, expectation) {
	in, st := r.in, r.state
	req := &pb.SetIfRequest{Key: in.Key, Value: in.Value, TtlMs: in.TTL}
	eq := st.present && bytes.Equal(st.value, in.Check)
	check := &pb.ValueCheck{Value: in.Check}
	var stored bool
	switch uint64(in.Amount) % 6 {
	case 0:
		req.When = &pb.SetIfRequest_IfPresent{IfPresent: &pb.Empty{}}
		stored = st.present
	case 1:
		req.When = &pb.SetIfRequest_IfPresentAndNotEqual{IfPresentAndNotEqual: check}
		stored = st.present && !eq
	case 2:
		req.When = &pb.SetIfRequest_IfAbsent{IfAbsent: &pb.Empty{}}
		stored = !st.present
	case 3:
		req.When = &pb.SetIfRequest_IfEqual{IfEqual: check}
		stored = eq
	case 4:
		req.When = &pb.SetIfRequest_IfAbsentOrEqual{IfAbsentOrEqual: check}
		stored = !st.present || eq
	case 5:
		req.When = &pb.SetIfRequest_IfNotEqual{IfNotEqual: check}
		stored = !eq
	}

	resp := &pb.WriteOutcome{}
	err := r.invoke("cache_client.Scs/SetIf", req, resp)
	return err, expectation{writeCode(in.Key, in.Value, in.TTL), func() {
		r.checkWriteOutcome(resp, stored)
	}}
}

func (r *fzRig) setIfHash() (error, expectation) {
	in, st := r.in, r.state
	// Odd TTLs compare with the item's real hash, even ones with Check.
	hash := in.Check
	if in.TTL%2 == 1 && st.present {
		hash = st.hash
	}
	same := st.present && bytes.Equal(st.hash, hash)
	check := &pb.HashCheck{Hash: hash}
	req := &pb.SetIfHashRequest{Key: in.Key, Value: in.Value, TtlMs: in.TTL}
	var stored bool
	switch uint64(in.Amount) % 5 {
	case 0:
		req.When = &pb.SetIfHashRequest_IfPresentAndHashNotEqual{IfPresentAndHashNotEqual: check}
		stored = st.present && !same
	case 1:
		req.When = &pb.SetIfHashRequest_IfPresentAndHashEqual{IfPresentAndHashEqual: check}
		stored = same
	case 2:
		req.When = &pb.SetIfHashRequest_IfAbsentOrHashEqual{IfAbsentOrHashEqual: check}
		stored = !st.present || same
	case 3:
		req.When = &pb.SetIfHashRequest_IfAbsentOrHashNotEqual{IfAbsentOrHashNotEqual: check}
		stored = !st.present || !same
	case 4:
		req.When = &pb.SetIfHashRequest_Always{Always: &pb.Empty{}}
		stored = true
	}

	resp := &pb.SetIfHashResponse{}
	err := r.invoke("cache_client.Scs/SetIfHash", req, resp)
	return err, expectation{writeCode(in.Key, in.Value, in.TTL), func() {
		got, isStored := resp.Outcome.(*pb.SetIfHashResponse_Stored)
		_, isNotStored := resp.Outcome.(*pb.SetIfHashResponse_NotStored)
		if isStored != stored || isStored == isNotStored {
			r.t.Fatalf("SetIfHash (%s): got %v, want stored %v", r.describe(), resp, stored)
		}
		if !stored {
			r.checkUnchanged()
			return
		}
		if len(got.Stored.Hash) == 0 {
			r.t.Fatalf("SetIfHash: stored without a new hash")
		}
		if in.TTL >= fzLongTTL {
			after := r.read()
			if !bytes.Equal(after.value, in.Value) || !bytes.Equal(after.hash, got.Stored.Hash) {
				r.t.Fatalf("SetIfHash: item after has %d bytes, hash %x; want %d bytes, "+
					"hash %x", len(after.value), after.hash, len(in.Value), got.Stored.Hash)
			}
		}
	}}
}

func (r *fzRig) increment() (error, expectation) {
	in, st := r.in, r.state
	resp := &pb.IncrementResponse{}
	err := r.invoke("cache_client.Scs/Increment",
		&pb.IncrementRequest{Key: in.Key, Amount: in.Amount, TtlMs: in.TTL}, resp)

	want := writeCode(in.Key, nil, in.TTL)
	next := in.Amount
	if want == codes.OK && st.present {
		cur, perr := strconv.ParseInt(string(st.value), 10, 64)
		sum := cur + in.Amount
		overflow := (in.Amount > 0 && sum < cur) || (in.Amount < 0 && sum > cur)
		if perr != nil || overflow {
			want = codes.FailedPrecondition
		}
		next = sum
	}
	return err, expectation{want, func() {
		if resp.Value != next {
			r.t.Fatalf("Increment (%s): got %d, want %d", r.describe(), resp.Value, next)
		}
		if in.TTL >= fzLongTTL {
			r.checkState(true, []byte(strconv.FormatInt(next, 10)))
		}
	}}
}

func (r *fzRig) updateTTL() (error, expectation) {
	in, st := r.in, r.state
	req := &pb.UpdateTtlRequest{Key: in.Key}
	// The setup item expires in about an hour; a change within a second of
	// that may go either way.
	setup := uint64(fzSetupTTL.Milliseconds())
	near := in.TTL+1000 > setup && in.TTL < setup+1000
	var applied bool
	switch uint64(in.Amount) % 3 {
	case 0:
		req.Change = &pb.UpdateTtlRequest_IncreaseToMs{IncreaseToMs: in.TTL}
		applied = in.TTL > setup
	case 1:
		req.Change = &pb.UpdateTtlRequest_DecreaseToMs{DecreaseToMs: in.TTL}
		applied = in.TTL < setup
	case 2:
		req.Change = &pb.UpdateTtlRequest_OverwriteToMs{OverwriteToMs: in.TTL}
		applied = true
		near = false
	}

	resp := &pb.UpdateTtlResponse{}
	err := r.invoke("cache_client.Scs/UpdateTtl", req, resp)
	return err, expectation{keyCode(in.Key), func() {
		var got string
		switch resp.Outcome.(type) {
		case *pb.UpdateTtlResponse_Applied:
			got = "applied"
		case *pb.UpdateTtlResponse_NotApplied:
			got = "not applied"
		case *pb.UpdateTtlResponse_Missing:
			got = "missing"
		}
		want := "missing"
		if st.present {
			want = map[bool]string{true: "applied", false: "not applied"}[applied]
		}
		if got != want && !(near && st.present && got != "missing") {
			r.t.Fatalf("UpdateTtl (%s): got %s, want %s", r.describe(), got, want)
		}
		if got != "applied" || in.TTL >= fzLongTTL {
			r.checkUnchanged()
		}
	}}
}

// stream makes a server-streaming call and returns the answers.
func stream[Resp any, P interface {
	*Resp
	proto.Message
}](r *fzRig, method string, req proto.Message) ([]P, error) {
	desc := &grpc.StreamDesc{StreamName: method, ServerStreams: true}
	cs, err := r.conn.NewStream(r.ctx(true), desc, "/cache_client.Scs/"+method)
	if err != nil {
		return nil, err
	}
	if err := cs.SendMsg(req); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if err := cs.CloseSend(); err != nil {
		return nil, err
	}
	var out []P
	for {
		m := P(new(Resp))
		err := cs.RecvMsg(m)
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return out, err
		}
		out = append(out, m)
	}
}

func (r *fzRig) getBatch() (error, expectation) {
	in, st := r.in, r.state
	got, err := stream[pb.GetResponse](r, "GetBatch", &pb.GetBatchRequest{Gets: []*pb.GetRequest{
		{Key: in.Key}, {Key: in.Check},
	}})
	want := keyCode(in.Key)
	if want == codes.OK {
		want = keyCode(in.Check)
	}
	return err, expectation{want, func() {
		if len(got) != 2 {
			r.t.Fatalf("GetBatch: got %d answers, want 2", len(got))
		}
		r.checkGet(got[0], st)
	}}
}

func (r *fzRig) setBatch() (error, expectation) {
	in := r.in
	items := []*pb.SetRequest{
		{Key: in.Key, Value: in.Value, TtlMs: in.TTL},
		{Key: in.Check, Value: in.Initial, TtlMs: in.TTL},
	}
	got, err := stream[pb.SetResponse](r, "SetBatch", &pb.SetBatchRequest{Sets: items})

	want := codes.OK
	for _, it := range items {
		if want = writeCode(it.Key, it.Value, it.TtlMs); want != codes.OK {
			break
		}
	}
	return err, expectation{want, func() {
		if len(got) != 2 || got[0].Result != pb.CacheResult_CACHE_RESULT_OK ||
			got[1].Result != pb.CacheResult_CACHE_RESULT_OK {
			r.t.Fatalf("SetBatch: got %v, want two OK results", got)
		}
		final := in.Value
		if bytes.Equal(in.Key, in.Check) {
			final = in.Initial
		}
		r.checkWritten(final)
	}}
}

func (r *fzRig) createDeleteCache() (error, expectation) {
	name := r.in.Cache
	control := func(method string) error {
		return r.invoke("control_client.ScsControl/"+method,
			&pb.CacheNameRequest{Name: name}, &pb.Empty{})
	}

	err := control("CreateCache")
	switch {
	case name == "":
		return err, expectation{codes.InvalidArgument, nil}
	case name == fzCache:
		return err, expectation{codes.AlreadyExists, nil}
	case err != nil:
		return err, expectation{codes.OK, nil}
	}

	err = control("DeleteCache")
	return err, expectation{codes.OK, func() {
		if err := control("DeleteCache"); status.Code(err) != codes.NotFound {
			r.t.Fatalf("DeleteCache of a deleted cache %q: got %v, want NotFound", name, err)
		}
	}}
}

func (r *fzRig) flushCache() (error, expectation) {
	name := r.in.Cache
	err := r.invoke("control_client.ScsControl/FlushCache",
		&pb.CacheNameRequest{Name: name}, &pb.Empty{})
	switch {
	case name == "":
		return err, expectation{codes.InvalidArgument, nil}
	case name != fzCache:
		// Every other cache a case creates, it deletes.
		return err, expectation{codes.NotFound, nil}
	}
	return err, expectation{codes.OK, func() {
		if len(r.in.Key) > 0 {
			r.checkState(false, nil)
		}
		r.state = fzState{}
	}}
}
