package dynamodb

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	minidyn "github.com/truora/minidyn/server"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/backends/backendtest"
)

// strategies are the calls every failure case tries.
var strategies = backendtest.Calls(backends.DynamoDB, 10)

// TestAnswers uses an HTTP server that describes an active table and then
// answers UpdateItem badly, to check what each answer means.
func TestAnswers(t *testing.T) {
	cases := []struct {
		name   string
		answer func(w http.ResponseWriter, r *http.Request, done <-chan struct{})
		want   backends.Code
	}{
		{"no answer", hang, backends.CodeOutcomeUnknown},
		{"connection closed after the request", closeConn, backends.CodeOutcomeUnknown},
		{"500 InternalServerError", apiError(500, "InternalServerError"),
			backends.CodeOutcomeUnknown},
		{"503 ServiceUnavailable", apiError(503, "ServiceUnavailable"),
			backends.CodeOutcomeUnknown},
		{"502 from a proxy", proxyError(http.StatusBadGateway), backends.CodeOutcomeUnknown},
		{"403 from a proxy", proxyError(http.StatusForbidden), backends.CodeUnavailable},
		{"200 that does not parse", garbage, backends.CodeOutcomeUnknown},
		{"throttled", apiError(400, "ThrottlingException"), backends.CodeUnavailable},
		{"over provisioned throughput", apiError(400, "ProvisionedThroughputExceededException"),
			backends.CodeUnavailable},
		{"unknown credentials", apiError(400, "UnrecognizedClientException"),
			backends.CodeUnavailable},
		{"table missing", apiError(400, "ResourceNotFoundException"), backends.CodeUnavailable},
		{"another validation error", apiError(400, "ValidationException"),
			backends.CodeInternal},
	}
	for _, tc := range cases {
		for _, s := range strategies {
			t.Run(tc.name+"/"+s.Strategy, func(t *testing.T) {
				f := startFake(t, tc.answer)
				b := newBackend(t, f.srv.URL, table)
				ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
				defer cancel()

				_, err := b.Increment(ctx, s.Strategy, "c", s.Max)
				backendtest.WantCode(t, err, tc.want)
				if got := f.updates.Load(); got != 1 {
					t.Fatalf("server got %d UpdateItem, want 1 (no retry)", got)
				}
			})
		}
	}
}

// TestCancelledBeforeSending: a context that is over before the call sends
// nothing.
func TestCancelledBeforeSending(t *testing.T) {
	f := startFake(t, hang)
	b := newBackend(t, f.srv.URL, table)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := b.Increment(ctx, backends.DynamoAdd, "c", 0)
	backendtest.WantCode(t, err, backends.CodeUnavailable)
	if got := f.updates.Load(); got != 0 {
		t.Fatalf("server got %d UpdateItem, want 0", got)
	}
}

// TestNothingListening: New succeeds without a server; calls are
// unavailable; the table is created once a server appears.
func TestNothingListening(t *testing.T) {
	addr := backendtest.FreeAddr(t)
	b := newBackend(t, "http://"+addr, table)
	backendtest.WantUnavailable(t, b, strategies)

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(minidyn.NewServer())
	_ = srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)

	backendtest.WantRecovered(t, b, backendtest.Call{Strategy: stCond, Max: 10}, 1)
}

// TestEmulatedFailure uses minidyn's own failure emulation: every call
// answers 500 InternalServerError until cleared.
func TestEmulatedFailure(t *testing.T) {
	ctx := context.Background()
	md := minidyn.NewServer()
	srv := httptest.NewServer(md)
	t.Cleanup(srv.Close)
	b := newBackend(t, srv.URL, table)

	md.EmulateFailure(minidyn.FailureConditionInternalServerError)
	for _, s := range strategies {
		_, err := b.Increment(ctx, s.Strategy, "c", s.Max)
		backendtest.WantCode(t, err, backends.CodeOutcomeUnknown)
	}
	_, err := b.Get(ctx, "c")
	backendtest.WantCode(t, err, backends.CodeUnavailable)
	backendtest.WantCode(t, b.Reset(ctx, "c"), backends.CodeOutcomeUnknown)

	md.EmulateFailure(minidyn.FailureConditionNone)
	res, err := b.Increment(ctx, backends.DynamoAdd, "c", 0)
	if err != nil || res.Value != 1 {
		t.Fatalf("after the failure: got %+v, %v, want value 1", res, err)
	}
}

// TestTarget: the address never shows a secret; the library is named.
func TestTarget(t *testing.T) {
	f := startFake(t, hang)
	cases := []struct {
		opts        Options
		wantAddress string
		wantKind    string
	}{
		{Options{Endpoint: f.srv.URL}, f.srv.URL, backends.KindLocal},
		{Options{Endpoint: strings.Replace(f.srv.URL, "http://", "http://me:secret@", 1),
			Kind: backends.KindEmbedded},
			strings.Replace(f.srv.URL, "http://", "http://me:xxxxx@", 1), backends.KindEmbedded},
	}
	for _, tc := range cases {
		tc.opts.Logger = discard
		b, err := New(context.Background(), tc.opts)
		if err != nil {
			t.Fatalf("New: %v", err)
		}
		got := b.Target()
		if got.Address != tc.wantAddress || got.Kind != tc.wantKind {
			t.Errorf("Target: got %+v, want address %q, kind %q", got, tc.wantAddress, tc.wantKind)
		}
		if strings.Contains(fmt.Sprint(got), "secret") {
			t.Errorf("Target shows the password: %+v", got)
		}
		if !strings.HasPrefix(got.Library, libraryPath+" v1.") {
			t.Errorf("Library: got %q, want %s v1.x", got.Library, libraryPath)
		}
		if b.Name() != backends.DynamoDB {
			t.Errorf("Name: got %q, want %q", b.Name(), backends.DynamoDB)
		}
	}
}

// TestInvalidOptions: New fails only on options it cannot use.
func TestInvalidOptions(t *testing.T) {
	for _, opts := range []Options{
		{Endpoint: ""},
		{Endpoint: "localhost:8000"},
		{Endpoint: "ftp://127.0.0.1:8000"},
		{Endpoint: "http://"},
		{Endpoint: "http://127.0.0.1:1", Table: "x"},
		{Endpoint: "http://127.0.0.1:1", Table: "no spaces please"},
	} {
		opts.Logger = discard
		if _, err := New(context.Background(), opts); err == nil {
			t.Errorf("New(%+v): got no error, want one", opts)
		}
	}
}

// fake is an HTTP server that describes an active table and hands
// UpdateItem to a chosen answer.
type fake struct {
	srv     *httptest.Server
	updates atomic.Int32
}

// activeTable is the answer to DescribeTable: the table exists and is ours.
const activeTable = `{"Table":{"TableName":"t","TableStatus":"ACTIVE",` +
	`"KeySchema":[{"AttributeName":"id","KeyType":"HASH"}],` +
	`"AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}]}}`

// startFake starts a fake on loopback, stopped at cleanup.
func startFake(
	t *testing.T, answer func(w http.ResponseWriter, r *http.Request, done <-chan struct{}),
) *fake {
	t.Helper()
	f := &fake{}
	done := make(chan struct{})
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.ReadAll(r.Body)
		op := r.Header.Get("X-Amz-Target")
		op = op[strings.LastIndex(op, ".")+1:]
		switch op {
		case "DescribeTable":
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			_, _ = io.WriteString(w, activeTable)
		case "UpdateItem":
			f.updates.Add(1)
			answer(w, r, done)
		default:
			apiError(400, "UnknownOperationException")(w, r, done)
		}
	}))
	t.Cleanup(f.srv.Close)
	t.Cleanup(func() { close(done) })
	return f
}

// hang never answers.
func hang(_ http.ResponseWriter, r *http.Request, done <-chan struct{}) {
	select {
	case <-r.Context().Done():
	case <-done:
	}
}

// closeConn closes the connection without answering.
func closeConn(w http.ResponseWriter, _ *http.Request, _ <-chan struct{}) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.Close()
	}
}

// apiError answers a DynamoDB error body with status and error type name.
func apiError(status int, name string) func(http.ResponseWriter, *http.Request, <-chan struct{}) {
	return func(w http.ResponseWriter, _ *http.Request, _ <-chan struct{}) {
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, `{"__type":"com.amazonaws.dynamodb.v20120810#%s",`+
			`"message":"answered by the test"}`, name)
	}
}

// proxyError answers status with an HTML page, like a proxy in front of the
// service.
func proxyError(status int) func(http.ResponseWriter, *http.Request, <-chan struct{}) {
	return func(w http.ResponseWriter, _ *http.Request, _ <-chan struct{}) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		_, _ = fmt.Fprintf(w, "<html><body>%s</body></html>", http.StatusText(status))
	}
}

// garbage answers 200 with a body that is not JSON.
func garbage(w http.ResponseWriter, _ *http.Request, _ <-chan struct{}) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	_, _ = io.WriteString(w, `{"Attributes": {"value": {"N": `)
}
