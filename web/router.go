// Package web is CounterLab's HTTP API and page: a Gin router with one file
// per route group, handlers as methods on one struct holding their
// dependencies, and JSON errors whose codes map to statuses in errors.go.
package web

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/backends/embedded"
	"github.com/counterlab/counterlab/compare"
	"github.com/gin-gonic/gin"
)

// Deps is everything the handlers need. Only Backends is required.
type Deps struct {
	// Backends in display order (redis, dynamodb, momento). Names are unique.
	Backends []backends.Backend

	// Logger receives one line per request; nil discards.
	Logger *slog.Logger

	// UseConditionalWrites and MaxCounterValue drive POST /{backend}/{id},
	// the route compatible with the serverless original. MaxCounterValue 0
	// means backends.DefaultMaxCounterValue.
	UseConditionalWrites bool
	MaxCounterValue      int64

	// HealthTimeout bounds one health check (default 2s); RequestTimeout
	// bounds one counter operation (default 10s).
	HealthTimeout  time.Duration
	RequestTimeout time.Duration

	// Stopping is closed when the server begins shutting down; long-lived
	// handlers (event streams) return when it is. Nil never closes.
	Stopping <-chan struct{}
	// RunsStopped, when set, is called once Stopping has closed and the run
	// going, if any, has been cancelled and has ended: the backends may then
	// be closed.
	RunsStopped func()

	// RunLimits bound the comparison runs (runs.go); zero fields take
	// compare.DefaultLimits. Embedded are the embedded targets, for fault
	// injection (faults.go); nil refuses it.
	RunLimits compare.Limits
	Embedded  *embedded.Targets
}

// Defaults of Deps.
const (
	DefaultHealthTimeout  = 2 * time.Second
	DefaultRequestTimeout = 10 * time.Second
)

// handlers holds the dependencies of every route group.
type handlers struct {
	deps    Deps
	log     *slog.Logger
	byName  map[string]backends.Backend
	static  *staticFiles
	runs    *compare.Manager // runs.go
	metrics *metrics         // metrics.go
}

// NewRouter builds the router: middleware, every route group, and JSON
// answers for unknown paths and wrong methods.
func NewRouter(deps Deps) *gin.Engine {
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.MaxCounterValue == 0 {
		deps.MaxCounterValue = backends.DefaultMaxCounterValue
	}
	if deps.HealthTimeout <= 0 {
		deps.HealthTimeout = DefaultHealthTimeout
	}
	if deps.RequestTimeout <= 0 {
		deps.RequestTimeout = DefaultRequestTimeout
	}
	h := &handlers{
		deps:   deps,
		log:    deps.Logger,
		byName: make(map[string]backends.Backend, len(deps.Backends)),
		static: loadStatic(),
	}
	for _, b := range deps.Backends {
		h.byName[b.Name()] = b
	}
	h.metrics = newMetrics()
	h.runs = h.newRuns()

	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.RedirectTrailingSlash = false
	// A counter id may hold a %2F: route on the raw path and unescape path
	// values with the path rules (pathValue), not Gin's, which use the query
	// rules and would read a + as a space.
	r.UseRawPath = true
	r.UnescapePathValues = false
	_ = r.SetTrustedProxies(nil) // the client address is the peer's
	r.Use(h.logRequests, h.recovery, securityHeaders, limitBody)

	h.registerMetrics(r) // first: its middleware counts every route after it
	h.registerHealth(r)
	h.registerBackends(r)
	h.registerCounters(r)
	h.registerCompat(r)
	h.registerStatic(r)
	h.registerRuns(r)
	h.registerFaults(r)
	h.registerOpenAPI(r)

	r.NoRoute(h.noRoute(r))
	r.NoMethod(func(c *gin.Context) {
		writeError(c, backends.Errorf(CodeMethodNotAllowed,
			"%s is not allowed on %s", c.Request.Method, c.Request.URL.Path))
	})
	return r
}

// noRoute answers 404 not_found, except for two shapes of counter paths that
// Gin's router does not match:
//   - a POST to /{name}/{id} whose name is neither a backend nor the start of
//     another route: the compatible route with a backend that does not
//     exist, answered unknown_backend;
//   - a counter path whose id, the last segment, is empty
//     (GET or DELETE /api/counters/{backend}/, POST /{backend}/): invalid_input.
func (h *handlers) noRoute(r *gin.Engine) gin.HandlerFunc {
	return func(c *gin.Context) {
		method, path := c.Request.Method, c.Request.URL.Path
		parts := strings.Split(strings.TrimPrefix(path, "/"), "/")

		switch {
		case method == "POST" && len(parts) == 2 && parts[1] == "" && h.byName[parts[0]] != nil:
			writeError(c, invalid("the counter id is empty"))
		case method == "POST" && len(parts) == 2 && !isRouteRoot(r, parts[0]):
			writeError(c, h.unknownBackend(parts[0]))
		case (method == "GET" || method == "DELETE") && len(parts) == 4 &&
			parts[0] == "api" && parts[1] == "counters" && parts[3] == "":
			if h.byName[parts[2]] == nil {
				writeError(c, h.unknownBackend(parts[2]))
				return
			}
			writeError(c, invalid("the counter id is empty"))
		default:
			writeError(c, backends.Errorf(CodeNotFound, "no route serves %s %s", method, path))
		}
	}
}

// isRouteRoot reports whether some route's path starts with /first.
func isRouteRoot(r *gin.Engine, first string) bool {
	for _, ri := range r.Routes() {
		root, _, _ := strings.Cut(strings.TrimPrefix(ri.Path, "/"), "/")
		if root == first {
			return true
		}
	}
	return false
}

// unknownBackend is the error for a backend name that is not served.
func (h *handlers) unknownBackend(name string) *backends.Error {
	names := make([]string, 0, len(h.deps.Backends))
	for _, b := range h.deps.Backends {
		names = append(names, b.Name())
	}
	return backends.Errorf(backends.CodeUnknownBackend, "no backend named %q", name).
		With("backends", names)
}

// getAndHead registers handle for GET and HEAD on path.
func getAndHead(r *gin.Engine, path string, handle gin.HandlerFunc) {
	r.GET(path, handle)
	r.HEAD(path, handle)
}

// operationContext bounds one counter operation by RequestTimeout.
func (h *handlers) operationContext(c *gin.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.Request.Context(), h.deps.RequestTimeout)
}

// pathValue returns the path parameter name, unescaped. Gin leaves it
// escaped when the request's path holds escapes it routed on (RawPath set);
// otherwise it comes from the unescaped path already.
func pathValue(c *gin.Context, name string) (string, error) {
	v := c.Param(name)
	if c.Request.URL.RawPath == "" {
		return v, nil
	}
	u, err := url.PathUnescape(v)
	if err != nil {
		return "", invalid("the path segment %q is not validly percent-encoded", v)
	}
	return u, nil
}

// backend finds the backend named in the path.
func (h *handlers) backend(c *gin.Context) (backends.Backend, error) {
	name, err := pathValue(c, "backend")
	if err != nil {
		return nil, err
	}
	b, ok := h.byName[name]
	if !ok {
		return nil, h.unknownBackend(name)
	}
	return b, nil
}
