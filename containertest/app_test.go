package containertest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/internal/testenv"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"
	"github.com/testcontainers/testcontainers-go/wait"
)

// TestAppInContainers runs the app's image wired to a Redis container, a
// DynamoDB-compatible container and the image's emulator on one Docker
// network, and drives every strategy of every backend through the HTTP API.
func TestAppInContainers(t *testing.T) {
	tag := appImage(t)
	nw := newNetwork(t)

	startContainer(t, "redis", testenv.RedisImage(),
		network.WithNetwork([]string{"redis"}, nw))
	startContainer(t, "dynamodb", testenv.DynamoDBImage(),
		network.WithNetwork([]string{"dynamodb"}, nw))
	startEmulator(t, tag, network.WithNetwork([]string{"momento"}, nw))
	app := startContainer(t, "app", tag,
		testcontainers.WithEnv(map[string]string{
			"REDIS_URL":         "redis://redis:6379",
			"DYNAMODB_ENDPOINT": "http://dynamodb:8000",
			"AWS_REGION":        "us-east-1",
			"MOMENTO_ENDPOINT":  "momento:8080",
		}),
		testcontainers.WithExposedPorts(appPort),
		network.WithNetwork([]string{"app"}, nw),
		// The image's own HEALTHCHECK: the binary checking /healthz.
		testcontainers.WithWaitStrategy(wait.ForHealthCheck().WithStartupTimeout(startTimeout)),
	)

	a := newAPI("http://" + endpoint(t, app, appPort))
	waitForLocalBackends(t, a, time.Minute)

	const max = 3
	for _, s := range backends.Strategies {
		t.Run(s.Backend+"/"+s.ID, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			id := "containertest-" + s.ID
			var limit int64
			if s.Conditional {
				limit = max
			}

			for want := int64(1); want <= max; want++ {
				got, err := a.increment(ctx, s.Backend, s.ID, id, limit)
				if err != nil {
					t.Fatalf("increment %d: %v", want, err)
				}
				if got.Value != want || got.Strategy != s.ID || got.Backend != s.Backend {
					t.Fatalf("increment %d: got %s/%s value %d, want %s/%s value %d",
						want, got.Backend, got.Strategy, got.Value, s.Backend, s.ID, want)
				}
			}

			wantValue := int64(max)
			if s.Conditional {
				err := a.incrementRefused(ctx, s.Backend, s.ID, id, limit,
					http.StatusConflict, "limit_reached")
				if err != nil {
					t.Fatalf("increment at max: %v", err)
				}
			} else {
				got, err := a.increment(ctx, s.Backend, s.ID, id, 0)
				if err != nil {
					t.Fatalf("increment past %d: %v", max, err)
				}
				wantValue = max + 1
				if got.Value != wantValue {
					t.Fatalf("increment past %d: got value %d, want %d", max, got.Value, wantValue)
				}
			}

			read, err := a.counter(ctx, s.Backend, id)
			if err != nil {
				t.Fatal(err)
			}
			if read.Value != wantValue || !read.Exists {
				t.Errorf("read: got value %d exists %v, want value %d exists true",
					read.Value, read.Exists, wantValue)
			}

			if err := a.reset(ctx, s.Backend, id); err != nil {
				t.Fatal(err)
			}
			read, err = a.counter(ctx, s.Backend, id)
			if err != nil {
				t.Fatal(err)
			}
			if read.Value != 0 || read.Exists {
				t.Errorf("read after reset: got value %d exists %v, want 0 false",
					read.Value, read.Exists)
			}
		})
	}
}
