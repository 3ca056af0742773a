package containertest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/counterlab/counterlab/backends"
)

// api talks to a running CounterLab app over HTTP, as the page does.
type api struct {
	base string // http://host:port
	http *http.Client
}

func newAPI(base string) *api {
	return &api{base: base, http: &http.Client{Timeout: 15 * time.Second}}
}

// backendInfo is one entry of GET /api/backends.
type backendInfo struct {
	Name   string          `json:"name"`
	Target backends.Target `json:"target"`
	Health struct {
		OK    bool   `json:"ok"`
		Error string `json:"error"`
	} `json:"health"`
}

// incrementAnswer is the body of a successful increment.
type incrementAnswer struct {
	Backend  string `json:"backend"`
	Strategy string `json:"strategy"`
	ID       string `json:"id"`
	Value    int64  `json:"value"`
	Max      *int64 `json:"max"`
}

// counterAnswer is the body of GET /api/counters/{backend}/{id}.
type counterAnswer struct {
	Value  int64 `json:"value"`
	Exists bool  `json:"exists"`
}

// errorAnswer is the body of every error.
type errorAnswer struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// do sends one request and decodes a JSON answer into out when the status is
// want; any other status is an error carrying the body.
func (a *api) do(ctx context.Context, method, path string, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, a.base+path, nil)
	if err != nil {
		return err
	}
	resp, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("%s %s: read the body: %w", method, path, err)
	}

	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: got status %d, want %d: %s",
			method, path, resp.StatusCode, want, body)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("%s %s: decode %s: %w", method, path, body, err)
	}
	return nil
}

func (a *api) backends(ctx context.Context) ([]backendInfo, error) {
	var out struct {
		Backends []backendInfo `json:"backends"`
	}
	err := a.do(ctx, http.MethodGet, "/api/backends", http.StatusOK, &out)
	return out.Backends, err
}

// incrementPath is the path of one increment; max 0 means none.
func incrementPath(backend, strategy, id string, max int64) string {
	q := url.Values{}
	if strategy != "" {
		q.Set("strategy", strategy)
	}
	if max != 0 {
		q.Set("max", strconv.FormatInt(max, 10))
	}
	p := "/api/counters/" + url.PathEscape(backend) + "/" + url.PathEscape(id) + "/increment"
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return p
}

func (a *api) increment(ctx context.Context, backend, strategy, id string,
	max int64,
) (incrementAnswer, error) {
	var out incrementAnswer
	err := a.do(ctx, http.MethodPost, incrementPath(backend, strategy, id, max),
		http.StatusOK, &out)
	return out, err
}

// incrementRefused sends an increment that must fail with status and code.
func (a *api) incrementRefused(ctx context.Context, backend, strategy, id string,
	max int64, status int, code string,
) error {
	var out errorAnswer
	err := a.do(ctx, http.MethodPost, incrementPath(backend, strategy, id, max), status, &out)
	if err != nil {
		return err
	}
	if out.Error != code {
		return fmt.Errorf("increment %s/%s: got error code %q, want %q (%s)",
			backend, id, out.Error, code, out.Message)
	}
	return nil
}

func (a *api) counter(ctx context.Context, backend, id string) (counterAnswer, error) {
	var out counterAnswer
	path := "/api/counters/" + url.PathEscape(backend) + "/" + url.PathEscape(id)
	err := a.do(ctx, http.MethodGet, path, http.StatusOK, &out)
	return out, err
}

func (a *api) reset(ctx context.Context, backend, id string) error {
	path := "/api/counters/" + url.PathEscape(backend) + "/" + url.PathEscape(id)
	return a.do(ctx, http.MethodDelete, path, http.StatusNoContent, nil)
}

// waitForLocalBackends polls GET /api/backends until redis, dynamodb and
// momento all report a healthy local target, and fails t after timeout. The
// app starts before its targets answer and recovers when they do.
func waitForLocalBackends(t *testing.T, a *api, timeout time.Duration) []backendInfo {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	var last string
	for {
		list, err := a.backends(ctx)
		if err == nil {
			if last = localBackendsProblem(list); last == "" {
				return list
			}
		} else {
			last = err.Error()
		}

		select {
		case <-ctx.Done():
			t.Fatalf("backends not all healthy and local after %v: %s", timeout, last)
			return nil
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// localBackendsProblem says what keeps list from being the three backends,
// each healthy on a local target; empty when nothing does.
func localBackendsProblem(list []backendInfo) string {
	want := []string{backends.Redis, backends.DynamoDB, backends.Momento}
	if len(list) != len(want) {
		return fmt.Sprintf("got %d backends, want %d: %+v", len(list), len(want), list)
	}
	for i, b := range list {
		switch {
		case b.Name != want[i]:
			return fmt.Sprintf("backend %d is %q, want %q", i, b.Name, want[i])
		case b.Target.Kind != backends.KindLocal:
			return fmt.Sprintf("%s targets %q (%s), want %q",
				b.Name, b.Target.Kind, b.Target.Address, backends.KindLocal)
		case !b.Health.OK:
			return fmt.Sprintf("%s at %s is unhealthy: %s", b.Name, b.Target.Address, b.Health.Error)
		}
	}
	return ""
}
