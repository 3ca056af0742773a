package web

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/counterlab/counterlab/backends"
	"github.com/gin-gonic/gin"
)

// MaxBodyBytes is the largest request body the server reads: 1 MiB.
const MaxBodyBytes = 1 << 20

// contentSecurityPolicy allows scripts, styles and connections only from the
// server itself: no inline script or style, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; " +
	"form-action 'self'; frame-ancestors 'none'"

// logRequests writes one log line per request once it is answered. Health
// probes that succeed are logged at debug level, so that a container
// healthcheck does not fill the log.
func (h *handlers) logRequests(c *gin.Context) {
	start := time.Now()

	c.Next()

	status := c.Writer.Status()
	attrs := []slog.Attr{
		slog.String("method", c.Request.Method),
		slog.String("path", c.Request.URL.Path),
		slog.Int("status", status),
		slog.Float64("durationMs", millis(time.Since(start))),
		slog.Int("bytes", max(c.Writer.Size(), 0)),
		slog.String("client", c.ClientIP()),
	}
	if q := c.Request.URL.RawQuery; q != "" {
		attrs = append(attrs, slog.String("query", q))
	}
	if route := c.FullPath(); route != "" {
		attrs = append(attrs, slog.String("route", route))
	}
	if code := c.GetString(errorCodeKey); code != "" {
		attrs = append(attrs, slog.String("code", code))
	}
	if status >= 500 && len(c.Errors) > 0 {
		attrs = append(attrs, slog.String("error", c.Errors.Last().Error()))
	}

	level := slog.LevelInfo
	switch {
	case status >= 500 && status != http.StatusServiceUnavailable &&
		status != http.StatusGatewayTimeout:
		level = slog.LevelError
	case status >= 500:
		level = slog.LevelWarn
	case status < 300 && isProbe(c.Request.URL.Path):
		level = slog.LevelDebug
	}
	h.log.LogAttrs(c.Request.Context(), level, "request", attrs...)
}

func isProbe(path string) bool { return path == "/healthz" || path == "/readyz" }

// recovery turns a panic in a handler into a logged internal error and a
// JSON 500 answer, if nothing was written yet.
func (h *handlers) recovery(c *gin.Context) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		if p == http.ErrAbortHandler {
			panic(p)
		}

		h.log.Error("panic in handler",
			"method", c.Request.Method,
			"path", c.Request.URL.Path,
			"panic", fmt.Sprint(p),
			"stack", string(debug.Stack()))

		if c.Writer.Written() {
			c.Abort()
			return
		}
		writeError(c, fmt.Errorf("panic: %v", p))
	}()

	c.Next()
}

// securityHeaders sets the headers every answer carries. API answers are
// never cached.
func securityHeaders(c *gin.Context) {
	hdr := c.Writer.Header()
	hdr.Set("Content-Security-Policy", contentSecurityPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Referrer-Policy", "no-referrer")
	hdr.Set("Cross-Origin-Opener-Policy", "same-origin")
	hdr.Set("Cross-Origin-Resource-Policy", "same-origin")
	if !strings.HasPrefix(c.Request.URL.Path, "/static/") && c.Request.URL.Path != "/" {
		hdr.Set("Cache-Control", "no-store")
	}

	c.Next()
}

// limitBody refuses a body announced over MaxBodyBytes and caps the reading
// of any other, so that a handler reading it gets an *http.MaxBytesError.
func limitBody(c *gin.Context) {
	if c.Request.ContentLength > MaxBodyBytes {
		writeError(c, tooLarge())
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxBodyBytes)

	c.Next()
}

func tooLarge() *backends.Error {
	return backends.Errorf(CodeBodyTooLarge,
		"the request body is over %d bytes", MaxBodyBytes).With("limit", MaxBodyBytes)
}

func millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
