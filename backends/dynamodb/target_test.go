package dynamodb

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	ddb "github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	minidyn "github.com/truora/minidyn/server"

	"github.com/counterlab/counterlab/backends/backendtest"
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

// targets lists every server kind: the same cases run against each.
var targets = []backendtest.Target[server]{
	{Name: "embedded", Start: startMinidyn},
	{Name: "container", Start: startContainer},
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
	endpoint := backendtest.Container(t, testenv.DynamoDBImage(), "8000/tcp", "http")

	s := newServer(endpoint, true)
	backendtest.WaitReady(t, "dynamodb container at "+endpoint+", ListTables",
		func(ctx context.Context) error {
			_, err := s.admin.ListTables(ctx, &ddb.ListTablesInput{})
			return err
		})
	return s
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
