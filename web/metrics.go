package web

// Routes of this file:
//   GET /metrics   Prometheus metrics of the API and of the comparison runs

import (
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/compare"
)

// metrics are the collectors of one router, in a registry of its own (no
// global state, so that tests can build many routers).
type metrics struct {
	registry *prometheus.Registry

	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	runIncrements   *prometheus.CounterVec
	runDuration     *prometheus.HistogramVec
	runsStarted     prometheus.Counter
}

// latencyBuckets span 100 µs to 10 s, the range of one store request.
var latencyBuckets = prometheus.ExponentialBucketsRange(0.0001, 10, 16)

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "counterlab_http_requests_total",
			Help: "HTTP requests answered, by route, method, status, and for counter " +
				"routes the backend and strategy.",
		}, []string{"route", "method", "status", "backend", "strategy"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "counterlab_http_request_duration_seconds",
			Help:    "Time to answer HTTP requests, by route, method, backend and strategy.",
			Buckets: latencyBuckets,
		}, []string{"route", "method", "backend", "strategy"}),
		runIncrements: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "counterlab_run_increments_total",
			Help: "Increments made by comparison runs, by backend, strategy and outcome.",
		}, []string{"backend", "strategy", "outcome"}),
		runDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "counterlab_run_increment_duration_seconds",
			Help:    "Latency of the increments of comparison runs, by backend and strategy.",
			Buckets: latencyBuckets,
		}, []string{"backend", "strategy"}),
		runsStarted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "counterlab_runs_started_total",
			Help: "Comparison runs started.",
		}),
	}
	m.registry.MustRegister(m.requests, m.requestDuration, m.runIncrements, m.runDuration,
		m.runsStarted, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observeRun is the compare.Observer of the runs.
func (m *metrics) observeRun(r compare.Ref, o compare.Outcome, d time.Duration) {
	m.runIncrements.WithLabelValues(r.Backend, r.Strategy, o.String()).Inc()
	m.runDuration.WithLabelValues(r.Backend, r.Strategy).Observe(d.Seconds())
}

func (h *handlers) registerMetrics(r *gin.Engine) {
	r.Use(h.countRequests)
	getAndHead(r, "/metrics", gin.WrapH(promhttp.HandlerFor(h.metrics.registry,
		promhttp.HandlerOpts{ErrorLog: slogPrinter{h}})))
}

// countRequests counts every request and times it. Labels come from the
// route pattern, never the raw path, and the backend and strategy only
// when they name ones that exist, so that clients cannot grow the series.
func (h *handlers) countRequests(c *gin.Context) {
	start := time.Now()

	c.Next()

	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	backend, strategy := h.metricLabels(c)
	method := methodLabel(c.Request.Method)
	m := h.metrics
	m.requests.WithLabelValues(route, method, strconv.Itoa(c.Writer.Status()),
		backend, strategy).Inc()
	m.requestDuration.WithLabelValues(route, method, backend, strategy).
		Observe(time.Since(start).Seconds())
}

// methodLabel returns the method as a label: one of the standard methods
// the API knows, or "other", so that made-up methods add no series.
func methodLabel(method string) string {
	switch method {
	case "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS":
		return method
	default:
		return "other"
	}
}

// metricLabels returns the backend and strategy of a counter request, or
// empty labels.
func (h *handlers) metricLabels(c *gin.Context) (string, string) {
	name, _ := pathValue(c, "backend")
	strategy, hasMax := c.Query("strategy"), c.Query("max") != ""
	if first, rest, _ := strings.Cut(strings.TrimPrefix(c.FullPath(), "/"), "/"); rest == ":id" {
		// The route compatible with the serverless original, /{backend}/{id}.
		name, strategy, hasMax = first, "", h.deps.UseConditionalWrites
	}
	if _, ok := h.byName[name]; !ok {
		return "", ""
	}
	s, ok := backends.LookupStrategy(name, strategy, hasMax)
	if !ok {
		return name, ""
	}
	return name, s.ID
}

// slogPrinter logs the errors of the metrics handler.
type slogPrinter struct{ h *handlers }

// Println logs one error line.
func (p slogPrinter) Println(v ...any) {
	p.h.log.Warn("metrics handler", "error", v)
}
