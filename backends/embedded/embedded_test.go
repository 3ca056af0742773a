package embedded

import (
	"context"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/momentohq/client-sdk-go/auth"
	"github.com/momentohq/client-sdk-go/config"
	"github.com/momentohq/client-sdk-go/momento"
	"github.com/momentohq/client-sdk-go/responses"
	goredis "github.com/redis/go-redis/v9"
)

// TestStartAll starts every target and reaches each through its real client
// library over loopback TCP.
func TestStartAll(t *testing.T) {
	ts, err := Start(All())
	if err != nil {
		t.Fatalf("Start(All()): %v", err)
	}
	t.Cleanup(func() { _ = ts.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	for name, addr := range map[string]string{
		"redis": ts.RedisAddr, "dynamodb": ts.DynamoDBURL, "momento": ts.MomentoAddr,
	} {
		if addr == "" {
			t.Errorf("%s: no address", name)
		}
	}

	t.Run("redis", func(t *testing.T) { checkRedis(ctx, t, ts.RedisAddr) })
	t.Run("dynamodb", func(t *testing.T) { checkDynamoDB(ctx, t, ts.DynamoDBURL) })
	t.Run("momento", func(t *testing.T) { checkMomento(ctx, t, ts.MomentoAddr) })
}

func checkRedis(ctx context.Context, t *testing.T, addr string) {
	c := goredis.NewClient(&goredis.Options{Addr: addr})
	defer c.Close()
	for want := int64(1); want <= 2; want++ {
		got, err := c.Incr(ctx, "k").Result()
		if err != nil || got != want {
			t.Fatalf("INCR k on %s: got %d, %v, want %d", addr, got, err, want)
		}
	}
}

func checkDynamoDB(ctx context.Context, t *testing.T, endpoint string) {
	c := dynamodb.New(dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider("x", "x", ""),
	})
	_, err := c.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName: aws.String("t"),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash},
		},
		BillingMode: types.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatalf("CreateTable on %s: %v", endpoint, err)
	}
	out, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("t")})
	if err != nil || aws.ToString(out.Table.TableName) != "t" {
		t.Fatalf("DescribeTable on %s: %v", endpoint, err)
	}
}

func checkMomento(ctx context.Context, t *testing.T, addr string) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("split %q: %v", addr, err)
	}
	port, _ := strconv.Atoi(portStr)
	cred, err := auth.NewMomentoLocalProvider(&auth.MomentoLocalConfig{
		Hostname: host, Port: uint(port),
	})
	if err != nil {
		t.Fatalf("momento-local provider for %s: %v", addr, err)
	}
	c, err := momento.NewCacheClientWithEagerConnectTimeout(config.LaptopLatest(), cred,
		time.Minute, 10*time.Second)
	if err != nil {
		t.Fatalf("Momento client for %s: %v", addr, err)
	}
	defer c.Close()

	if _, err := c.CreateCache(ctx, &momento.CreateCacheRequest{CacheName: "c"}); err != nil {
		t.Fatalf("CreateCache on %s: %v", addr, err)
	}
	resp, err := c.Increment(ctx, &momento.IncrementRequest{
		CacheName: "c", Field: momento.String("k"), Amount: 1,
	})
	if err != nil {
		t.Fatalf("Increment on %s: %v", addr, err)
	}
	ok, isOK := resp.(*responses.IncrementSuccess)
	if !isOK {
		t.Fatalf("Increment on %s: answer %T, want *IncrementSuccess", addr, resp)
	}
	if got := ok.Value(); got != 1 {
		t.Fatalf("Increment on %s: got %d, want 1", addr, got)
	}
}

// TestStartSome starts only what is asked and Close stops it.
func TestStartSome(t *testing.T) {
	ts, err := Start(Options{Redis: true})
	if err != nil {
		t.Fatalf("Start(redis only): %v", err)
	}
	if ts.RedisAddr == "" || ts.DynamoDBURL != "" || ts.MomentoAddr != "" ||
		ts.DynamoDB != nil || ts.Emulator != nil {
		t.Fatalf("targets %+v, want only redis", ts)
	}

	addr := ts.RedisAddr
	if err := ts.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := ts.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("dial %s after Close succeeded, want refused", addr)
	}
}

// TestStartNone starts nothing.
func TestStartNone(t *testing.T) {
	ts, err := Start(Options{})
	if err != nil {
		t.Fatalf("Start(nothing): %v", err)
	}
	if ts.RedisAddr != "" || ts.DynamoDBURL != "" || ts.MomentoAddr != "" {
		t.Fatalf("targets %+v, want none", ts)
	}
	if err := ts.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}
