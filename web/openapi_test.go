package web

import (
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
)

// openAPIPath turns a Gin route pattern into an OpenAPI path.
var ginParam = regexp.MustCompile(`[:*]([A-Za-z]+)`)

func openAPIPath(route string) string { return ginParam.ReplaceAllString(route, "{$1}") }

// TestOpenAPIMatchesRoutes checks that the description and the router name
// the same routes, and that every operation describes its errors.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	l := newLab(t, labOptions{})
	var doc struct {
		OpenAPI    string                               `json:"openapi"`
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]map[string]any `json:"schemas"`
		} `json:"components"`
	}
	l.call("GET", "/openapi.json", nil).expect(t, "GET /openapi.json", http.StatusOK, &doc)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("got openapi %q, want 3.x", doc.OpenAPI)
	}

	routes := map[string]bool{}
	for _, ri := range l.router.(*gin.Engine).Routes() {
		routes[strings.ToLower(ri.Method)+" "+openAPIPath(ri.Path)] = true
	}
	described := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			described[method+" "+path] = true
		}
	}

	var missing, extra []string
	for r := range routes {
		if !described[r] {
			missing = append(missing, r)
		}
	}
	for d := range described {
		if !routes[d] {
			extra = append(extra, d)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routes without a description in /openapi.json: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("described routes the router does not serve: %v", extra)
	}

	// Every operation answers errors with the Error body.
	for path, ops := range doc.Paths {
		for method, op := range ops {
			responses, _ := op["responses"].(map[string]any)
			var errs int
			for status, resp := range responses {
				if status[0] != '4' && status[0] != '5' {
					continue
				}
				errs++
				if !strings.Contains(jsonOf(t, resp), "#/components/schemas/Error") {
					t.Errorf("%s %s: error %s is not an Error body", method, path, status)
				}
			}
			if errs == 0 {
				t.Errorf("%s %s: no error responses described", method, path)
			}
		}
	}

	// The Error schema lists every code of the status table.
	codes := jsonOf(t, doc.Components.Schemas["Error"])
	for c := range Codes() {
		if !strings.Contains(codes, `"`+string(c)+`"`) {
			t.Errorf("error code %s is missing from the Error schema", c)
		}
	}

	// Every $ref points to a schema that exists.
	all := jsonOf(t, doc)
	refs := regexp.MustCompile(`#/components/schemas/(\w+)`)
	for _, m := range refs.FindAllStringSubmatch(all, -1) {
		if _, ok := doc.Components.Schemas[m[1]]; !ok {
			t.Errorf("$ref to missing schema %s", m[1])
		}
	}
}

// TestHeadAnswersLikeGet checks that every GET route answers HEAD with the
// status and content type of GET and no body.
func TestHeadAnswersLikeGet(t *testing.T) {
	l := newLab(t, labOptions{})
	run := l.waitRun(l.startRun(map[string]any{"strategies": []string{"redis/incr"},
		"workers": 1, "increments": 3}).ID)
	l.call("POST", "/api/counters/redis/h/increment", nil).expect(t, "increment", 200, nil)

	paths := []string{"/", "/static/app.js", "/healthz", "/readyz", "/metrics",
		"/openapi.json", "/api/backends", "/api/faults", "/api/counters/redis/h",
		"/api/runs", "/api/runs/" + run.ID, "/api/runs/" + run.ID + "/events",
		"/api/runs/" + run.ID + "/export.json", "/api/runs/" + run.ID + "/export.csv",
		"/api/runs/" + run.ID + "/charts/latency.svg", "/api/runs/nosuch"}
	for _, p := range paths {
		get := l.call("GET", p, nil)
		head := l.call("HEAD", p, nil)
		if head.status != get.status {
			t.Errorf("HEAD %s: got status %d, want %d like GET", p, head.status, get.status)
		}
		if len(head.raw) != 0 {
			t.Errorf("HEAD %s: got a body of %d bytes, want none", p, len(head.raw))
		}
		if g, h := get.header.Get("Content-Type"), head.header.Get("Content-Type"); g != h {
			t.Errorf("HEAD %s: got Content-Type %q, want %q like GET", p, h, g)
		}
	}
}
