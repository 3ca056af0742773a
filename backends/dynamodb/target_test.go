package dynamodb

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/testcontainers/testcontainers-go"
	minidyn "github.com/truora/minidyn/server"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/internal/testenv"
)

// server is a DynamoDB-compatible server the shared cases run against.
type server struct {
	endpoint string
	// admin is a plain client for setting up and checking cases.
	admin *ddb.Client
	// real is true for a separate server (the container), false for minidyn.
	real bool
}

// target starts a server for one test and stops it when the test ends.
type target struct {
	name  string
	start func(t *testing.T) server
}

// targets lists every server kind: the same cases run against each.
var targets = []target{
	{"embedded", startMinidyn},
	{"container", startContainer},
}

// startMinidyn serves minidyn's HTTP handler on loopback.
func startMinidyn(t *testing.T) server {
	t.Helper()
	srv := httptest.NewServer(minidyn.NewServer())
	t.Cleanup(srv.Close)
	return newServer(srv.URL, false)
}

// startContainer starts testenv.DynamoDBImage() with testcontainers, and
// waits until ListTables answers from the host.
func startContainer(t *testing.T) server {
	t.Helper()
	testenv.Docker(t)

	ctx := context.Background()
	c, err := testcontainers.Run(ctx, testenv.DynamoDBImage(),
		testcontainers.WithExposedPorts("8000/tcp"))
	t.Cleanup(func() {
		if err := testcontainers.TerminateContainer(c); err != nil {
			t.Errorf("terminate dynamodb container: %v", err)
		}
	})
	if err != nil {
		t.Fatalf("start %s: %v", testenv.DynamoDBImage(), err)
	}
	endpoint, err := c.PortEndpoint(ctx, "8000/tcp", "http")
	if err != nil {
		t.Fatalf("dynamodb container address: %v", err)
	}

	s := newServer(endpoint, true)
	deadline := time.Now().Add(60 * time.Second)
	for {
		lctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := s.admin.ListTables(lctx, &ddb.ListTablesInput{})
		cancel()
		if err == nil {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("dynamodb container at %s never answered ListTables: %v", endpoint, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// newServer returns a server with an admin client for endpoint.
func newServer(endpoint string, real bool) server {
	admin := ddb.New(ddb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("counterlab", "counterlab", ""),
	})
	return server{endpoint: endpoint, admin: admin, real: real}
}

// discard drops the backends' logs.
var discard = slog.New(slog.DiscardHandler)

// newBackend returns a backend for endpoint and table, closed at cleanup.
func newBackend(t *testing.T, endpoint, table string) *Backend {
	t.Helper()
	b, err := New(context.Background(), Options{
		Endpoint: endpoint,
		Table:    table,
		Logger:   discard,
	})
	if err != nil {
		t.Fatalf("New(%s, %s): %v", endpoint, table, err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

// counterID is an id unique to the running (sub)test.
func counterID(t *testing.T) string {
	return strings.NewReplacer("/", ":", " ", "_").Replace(t.Name())
}

// wantCode fails t unless err is a *backends.Error with code want.
func wantCode(t *testing.T, err error, want backends.Code) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", want)
	}
	if got := backends.ErrorCode(err); got != want {
		t.Fatalf("got code %s (%v), want %s", got, err, want)
	}
}

// Attribute values for presets.
func num(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }
func str(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// put stores the item of counter id with the counter attribute set to v,
// or with no counter attribute when v is nil.
func put(t *testing.T, s server, table, id string, v types.AttributeValue) {
	t.Helper()
	item := map[string]types.AttributeValue{keyName: str(id), "note": str("preset")}
	if v != nil {
		item[counterName] = v
	}
	if _, err := s.admin.PutItem(context.Background(), &ddb.PutItemInput{
		TableName: aws.String(table), Item: item,
	}); err != nil {
		t.Fatalf("PutItem %s: %v", id, err)
	}
}

// stored shows the counter attribute of id as "N 3", "S abc", "BOOL true",
// "(no attribute)" or "(no item)".
func stored(t *testing.T, s server, table, id string) string {
	t.Helper()
	out, err := s.admin.GetItem(context.Background(), &ddb.GetItemInput{
		TableName:      aws.String(table),
		Key:            map[string]types.AttributeValue{keyName: str(id)},
		ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		t.Fatalf("GetItem %s: %v", id, err)
	}
	if out.Item == nil {
		return "(no item)"
	}
	switch v := out.Item[counterName].(type) {
	case nil:
		return "(no attribute)"
	case *types.AttributeValueMemberN:
		return "N " + v.Value
	case *types.AttributeValueMemberS:
		return "S " + v.Value
	case *types.AttributeValueMemberBOOL:
		if v.Value {
			return "BOOL true"
		}
		return "BOOL false"
	default:
		return "(other type)"
	}
}
