package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"
)

// TestConfigErrors checks that bad configuration exits 2 with one line that
// names the variable, or the flag it came from, before anything starts, and
// never shows a secret.
func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string // a part of the message
	}{
		{"redis scheme", nil, map[string]string{"REDIS_URL": "http://x"},
			`REDIS_URL="http://x": want a redis:// or rediss:// URL`},
		{"redis flag", []string{"--redis-url", "http://x"}, nil, `--redis-url="http://x"`},
		{"redis password", nil, map[string]string{"REDIS_URL": "http://u:hunter2@x"},
			"REDIS_URL="},
		{"redis db", nil, map[string]string{"REDIS_URL": "redis://x/abc"}, "REDIS_URL="},
		{"dynamodb not a URL", nil, map[string]string{"DYNAMODB_ENDPOINT": "notaurl"},
			`DYNAMODB_ENDPOINT="notaurl": want an http:// or https:// URL`},
		{"addr", nil, map[string]string{"COUNTERLAB_ADDR": "nonsense"},
			`COUNTERLAB_ADDR="nonsense": want host:port`},
		{"addr flag", []string{"--addr", "127.0.0.1:99999"}, nil, `--addr="127.0.0.1:99999"`},
		{"momento key", nil, map[string]string{"MOMENTO_API_KEY": "hunter2"},
			"MOMENTO_API_KEY is not a valid Momento API key"},
		{"momento endpoint", nil, map[string]string{"MOMENTO_ENDPOINT": "localhost"},
			`MOMENTO_ENDPOINT="localhost": want host:port`},
		{"momento port", nil, map[string]string{"MOMENTO_ENDPOINT": "localhost:0"},
			"port from 1 to 65535"},
		{"max counter value flag", []string{"--max-counter-value=abc"}, nil,
			`--max-counter-value="abc": want an integer`},
		{"max counter value env", nil, map[string]string{"MAX_COUNTER_VALUE": "abc"},
			`MAX_COUNTER_VALUE="abc": want an integer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := func(name string) string { return tt.env[name] }
			var stderr bytes.Buffer
			// Bounded, in case a bad value is taken and the server starts.
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			code := run(ctx, append([]string{"serve"}, tt.args...), io.Discard, &stderr, env)
			out := stderr.String()
			if code != 2 {
				t.Errorf("got exit %d, want 2; stderr %s", code, out)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("got %q, want it to hold %q", out, tt.want)
			}
			if strings.Count(out, "\n") != 1 || !strings.HasPrefix(out, "serve: ") {
				t.Errorf("got %q, want one line \"serve: ...\" (nothing started)", out)
			}
			if strings.Contains(out, "hunter2") {
				t.Errorf("got %q, which shows a secret", out)
			}
		})
	}

	var stderr bytes.Buffer
	env := func(name string) string {
		return map[string]string{"DYNAMODB_ENDPOINT": "notaurl"}[name]
	}
	if code := run(context.Background(), []string{"compare"}, io.Discard, &stderr,
		env); code != 2 || !strings.Contains(stderr.String(), "DYNAMODB_ENDPOINT") {
		t.Errorf("compare with a bad endpoint: got exit %d (%s), want 2", code, stderr.String())
	}
}
