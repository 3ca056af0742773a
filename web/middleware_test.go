package web

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// TestPage checks the page and its files: served with their types, the
// security headers, and no inline script or style for the CSP to block.
func TestPage(t *testing.T) {
	s := newTestServer(t, testOptions{})

	files := []struct{ path, ctype string }{
		{"/", "text/html"},
		{"/static/app.js", "text/javascript"},
		{"/static/style.css", "text/css"},
	}
	for _, f := range files {
		r := s.do("GET", f.path, nil)
		r.want(t, "GET "+f.path, http.StatusOK, "")
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, f.ctype) {
			t.Errorf("%s: Content-Type %q, want %s", f.path, ct, f.ctype)
		}
		checkSecurityHeaders(t, f.path, r.header)
		if r.header.Get("ETag") == "" {
			t.Errorf("%s: no ETag", f.path)
		}
	}

	for _, p := range []string{"/", "/static/app.js", "/healthz"} {
		r := s.do("HEAD", p, nil)
		if r.status != http.StatusOK || len(r.raw) != 0 {
			t.Errorf("HEAD %s: status %d with %d body bytes, want 200 and none", p, r.status,
				len(r.raw))
		}
	}

	page := string(s.do("GET", "/", nil).raw)
	for _, tag := range regexp.MustCompile(`<script[^>]*>`).FindAllString(page, -1) {
		if !strings.Contains(tag, "src=") {
			t.Errorf("inline script %s: the CSP blocks it", tag)
		}
	}
	if strings.Contains(page, "<style") || strings.Contains(page, "style=") ||
		regexp.MustCompile(`\son[a-z]+=`).MatchString(page) {
		t.Errorf("the page has an inline style or event handler: the CSP blocks them")
	}
}

// TestSecurityHeadersEverywhere checks the headers on API answers and errors.
func TestSecurityHeadersEverywhere(t *testing.T) {
	s := newTestServer(t, testOptions{})

	for _, p := range []string{"/api/backends", "/healthz", "/nope"} {
		r := s.do("GET", p, nil)
		checkSecurityHeaders(t, p, r.header)
		if cc := r.header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("%s: Cache-Control %q, want no-store", p, cc)
		}
	}
}

func checkSecurityHeaders(t *testing.T, path string, h http.Header) {
	t.Helper()
	csp := h.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("%s: Content-Security-Policy %q, want script-src 'self' and no "+
			"unsafe-inline", path, csp)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("X-Frame-Options") != "DENY" {
		t.Errorf("%s: X-Content-Type-Options %q, X-Frame-Options %q", path,
			h.Get("X-Content-Type-Options"), h.Get("X-Frame-Options"))
	}
}

// TestRequestLog checks one log line per request, with the route, status and
// error code.
func TestRequestLog(t *testing.T) {
	s := newTestServer(t, testOptions{})

	s.do("POST", "/api/counters/redis/logged/increment", nil)
	s.do("POST", "/api/counters/redis/logged/increment?max=0", nil)
	s.do("GET", "/nope", nil)

	lines := s.logLines("request")
	if len(lines) != 3 {
		t.Fatalf("%d request log lines, want 3:\n%s", len(lines), s.logs.String())
	}
	want := []struct {
		status float64
		code   string
	}{{200, ""}, {400, "invalid_input"}, {404, "not_found"}}
	for i, w := range want {
		l := lines[i]
		code, _ := l["code"].(string)
		if l["status"] != w.status || code != w.code {
			t.Errorf("line %d: status %v code %q, want %v %q", i, l["status"], code, w.status,
				w.code)
		}
	}
	if lines[0]["route"] != "/api/counters/:backend/:id/increment" {
		t.Errorf("route %v, want the route pattern", lines[0]["route"])
	}
}

// TestRecovery checks that a panic in a handler answers a generic JSON 500
// and logs the panic.
func TestRecovery(t *testing.T) {
	logs := &syncBuffer{}
	r := NewRouter(Deps{Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	r.GET("/panic", func(c *gin.Context) { panic("secret detail") })

	w := httptest.NewRecorder()
	r.ServeHTTP(w, httptest.NewRequest("GET", "/panic", nil))

	if w.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500", w.Code)
	}
	body := w.Body.String()
	if !strings.Contains(body, `"error":"internal"`) || strings.Contains(body, "secret") {
		t.Errorf("body %s, want error internal without the panic's detail", body)
	}
	if !strings.Contains(logs.String(), `"msg":"panic in handler"`) ||
		!strings.Contains(logs.String(), "secret detail") {
		t.Errorf("log %s, want the panic logged with its detail", logs.String())
	}
}
