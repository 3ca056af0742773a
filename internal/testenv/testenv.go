// Package testenv decides whether integration tests run: they need Docker or
// Chromium, and they skip without them only when COUNTERLAB_REQUIRE_INTEGRATION
// is unset. CI sets it, so there a missing dependency fails the test.
package testenv

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"
)

// RequireVar is the variable that turns a skip into a failure.
const RequireVar = "COUNTERLAB_REQUIRE_INTEGRATION"

// Required reports whether integration tests must run.
func Required() bool { return os.Getenv(RequireVar) != "" }

// Unavailable skips the test, or fails it when integration is required.
func Unavailable(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if Required() {
		tb.Fatalf("integration required ("+RequireVar+" is set) but "+format, args...)
	}
	tb.Skipf("skipping integration test: "+format, args...)
}

// Docker skips or fails tb when no Docker daemon answers.
func Docker(tb testing.TB) {
	tb.Helper()
	if testing.Short() && !Required() {
		tb.Skip("skipping integration test in -short mode")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	p, err := testcontainers.NewDockerProvider()
	if err != nil {
		Unavailable(tb, "no Docker provider: %v", err)
		return
	}
	defer p.Close()
	if err := p.Health(ctx); err != nil {
		Unavailable(tb, "Docker does not answer: %v", err)
	}
}

// Image returns the image named by the variable env, or def when it is unset.
func Image(env, def string) string {
	if v := os.Getenv(env); v != "" {
		return v
	}
	return def
}

// RedisImage is the Redis image for container tests.
func RedisImage() string { return Image("COUNTERLAB_TEST_REDIS_IMAGE", "redis:7-alpine") }

// DynamoDBImage is the DynamoDB-compatible image for container tests.
func DynamoDBImage() string {
	return Image("COUNTERLAB_TEST_DYNAMODB_IMAGE", "amazon/dynamodb-local")
}

// Chrome returns the Chromium binary for browser tests, from
// COUNTERLAB_TEST_CHROME or the PATH, skipping or failing tb when none exists.
func Chrome(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("COUNTERLAB_TEST_CHROME"); p != "" {
		if _, err := os.Stat(p); err != nil {
			Unavailable(tb, "COUNTERLAB_TEST_CHROME=%s: %v", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	Unavailable(tb, "no Chromium found (set COUNTERLAB_TEST_CHROME)")
	return ""
}
