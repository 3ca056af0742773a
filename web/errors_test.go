package web

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestBadInput sends every kind of bad request and checks the status and
// error code: a clear 4xx, never a 500, and nothing applied to the counter.
func TestBadInput(t *testing.T) {
	s := newTestServer(t, testOptions{})
	long := strings.Repeat("x", MaxIDBytes+1)
	inc := "/api/counters/redis/bad/increment"

	tests := []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"empty id", "POST", "/api/counters/redis//increment", "", 400, "invalid_input"},
		{"empty id get", "GET", "/api/counters/redis/", "", 400, "invalid_input"},
		{"201-byte id", "POST", "/api/counters/redis/" + long + "/increment", "", 400,
			"invalid_input"},
		{"201-byte id delete", "DELETE", "/api/counters/redis/" + long, "", 400,
			"invalid_input"},
		{"invalid UTF-8 id", "POST", "/api/counters/redis/a%FFb/increment", "", 400,
			"invalid_input"},
		{"truncated UTF-8 id", "GET", "/api/counters/dynamodb/%C3", "", 400, "invalid_input"},
		{"NUL in id", "POST", "/api/counters/redis/a%00b/increment", "", 400, "invalid_input"},
		{"newline in id", "POST", "/api/counters/momento/a%0Ab/increment", "", 400,
			"invalid_input"},
		{"DEL in id", "GET", "/api/counters/redis/a%7Fb", "", 400, "invalid_input"},
		{"C1 control in id", "POST", "/api/counters/redis/a%C2%85b/increment", "", 400,
			"invalid_input"},
		{"max 0", "POST", inc + "?max=0", "", 400, "invalid_input"},
		{"max -1", "POST", inc + "?max=-1", "", 400, "invalid_input"},
		{"max 2^53+1", "POST", inc + "?max=9007199254740993", "", 400, "invalid_input"},
		{"max past int64", "POST", inc + "?max=99999999999999999999", "", 400, "invalid_input"},
		{"max abc", "POST", inc + "?max=abc", "", 400, "invalid_input"},
		{"max 1.5", "POST", inc + "?max=1.5", "", 400, "invalid_input"},
		{"max 1e3", "POST", inc + "?strategy=lua&max=1e3", "", 400, "invalid_input"},
		{"max twice", "POST", inc + "?max=3&max=4", "", 400, "invalid_input"},
		{"max on unconditional", "POST", inc + "?strategy=incr&max=5", "", 400,
			"invalid_input"},
		{"max on momento increment", "POST",
			"/api/counters/momento/bad/increment?strategy=increment&max=5", "", 400,
			"invalid_input"},
		{"conditional without max", "POST", inc + "?strategy=lua", "", 400, "invalid_input"},
		{"dynamodb conditional without max", "POST",
			"/api/counters/dynamodb/bad/increment?strategy=conditional", "", 400,
			"invalid_input"},
		{"momento set-if-equal without max", "POST",
			"/api/counters/momento/bad/increment?strategy=set-if-equal", "", 400,
			"invalid_input"},
		{"unknown strategy", "POST", inc + "?strategy=nope", "", 400, "invalid_input"},
		{"another backend's strategy", "POST", inc + "?strategy=add", "", 400,
			"invalid_input"},
		{"strategy twice", "POST", inc + "?strategy=incr&strategy=lua&max=2", "", 400,
			"invalid_input"},
		{"unknown backend increment", "POST", "/api/counters/nosuch/x/increment", "", 404,
			"unknown_backend"},
		{"unknown backend get", "GET", "/api/counters/nosuch/x", "", 404, "unknown_backend"},
		{"unknown backend delete", "DELETE", "/api/counters/REDIS/x", "", 404,
			"unknown_backend"},
		{"unknown backend compat", "POST", "/nosuch/x", "", 404, "unknown_backend"},
		{"malformed JSON", "POST", inc, "{", 400, "invalid_input"},
		{"two JSON values", "POST", inc, "{} {}", 400, "invalid_input"},
		{"text body", "POST", inc, "hello", 400, "invalid_input"},
		{"malformed JSON delete", "DELETE", "/api/counters/redis/bad", "[1,", 400,
			"invalid_input"},
		{"malformed JSON compat", "POST", "/redis/bad", "{\"a\":}", 400, "invalid_input"},
		{"compat empty id", "POST", "/redis/", "", 400, "invalid_input"},
		{"compat control char", "POST", "/momento/a%01", "", 400, "invalid_input"},
		{"unknown route", "GET", "/nope", "", 404, "not_found"},
		{"unknown api route", "GET", "/api/nope/deeper", "", 404, "not_found"},
		{"unknown static file", "GET", "/static/nope.js", "", 404, "not_found"},
		{"trailing slash", "GET", "/api/backends/", "", 404, "not_found"},
		{"wrong method on counter", "PUT", "/api/counters/redis/x", "", 405,
			"method_not_allowed"},
		{"GET on increment", "GET", inc, "", 405, "method_not_allowed"},
		{"POST on healthz", "POST", "/healthz", "", 405, "method_not_allowed"},
		{"POST on api/backends", "POST", "/api/backends", "", 405, "method_not_allowed"},
		{"POST on a static file", "POST", "/static/app.js", "", 405, "method_not_allowed"},
		{"GET on compat", "GET", "/redis/x", "", 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			s.do(tt.method, tt.path, body).want(t, tt.method+" "+tt.path, tt.status, tt.code)
		})
	}

	for _, b := range []string{"redis", "dynamodb", "momento"} {
		r := s.do("GET", "/api/counters/"+b+"/bad", nil)
		r.want(t, "GET after bad input", http.StatusOK, "")
		if r.body["exists"] != false {
			t.Errorf("%s counter bad exists after only bad requests: %s", b, r.raw)
		}
	}
}

// TestBody checks the body rule of routes that take none: empty or valid
// JSON (ignored), at most MaxBodyBytes, whether its length is announced or
// it comes chunked.
func TestBody(t *testing.T) {
	s := newTestServer(t, testOptions{})
	inc := "/api/counters/redis/body/increment"

	ok := []string{"  \n", "{}", "null", `{"anything": [1, 2]}`,
		`"` + strings.Repeat("a", MaxBodyBytes-2) + `"`}
	for i, body := range ok {
		r := s.do("POST", inc, strings.NewReader(body))
		r.want(t, "body of "+strconv.Itoa(len(body))+" bytes", http.StatusOK, "")
		if got := r.num(t, "value"); got != int64(i+1) {
			t.Errorf("value %d, want %d", got, i+1)
		}
	}

	over := `"` + strings.Repeat("a", MaxBodyBytes-1) + `"`
	r := s.do("POST", inc, strings.NewReader(over))
	r.want(t, "announced oversize body", http.StatusRequestEntityTooLarge, "body_too_large")

	chunked := io.MultiReader(strings.NewReader(over)) // no length: sent chunked
	r = s.do("POST", inc, chunked)
	r.want(t, "chunked oversize body", http.StatusRequestEntityTooLarge, "body_too_large")

	g := s.do("GET", "/api/counters/redis/body", nil)
	if g.num(t, "value") != int64(len(ok)) {
		t.Errorf("value %v after %d accepted increments, want %d", g.body["value"], len(ok),
			len(ok))
	}
}

// TestMaxBounds checks the ends of the max range: 1 and 2^53 are accepted.
func TestMaxBounds(t *testing.T) {
	s := newTestServer(t, testOptions{})

	for _, max := range []string{"1", "9007199254740992"} {
		r := s.do("POST", "/api/counters/dynamodb/bounds-"+max+"/increment?max="+max, nil)
		r.want(t, "max="+max, http.StatusOK, "")
		if r.body["strategy"] != "conditional" || r.num(t, "value") != 1 {
			t.Errorf("max=%s: %s, want strategy conditional, value 1", max, r.raw)
		}
	}
}
