package web

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/counterlab/counterlab/backends"
)

// TestIncrementEveryStrategy runs every strategy of every backend through
// the API: values count up from 1, conditional ones stop at max with 409
// limit_reached, and reading and deleting the counter agree.
func TestIncrementEveryStrategy(t *testing.T) {
	s := newTestServer(t, testOptions{})

	for _, st := range backends.Strategies {
		t.Run(st.Backend+"/"+st.ID, func(t *testing.T) {
			id := "every-" + st.ID
			base := "/api/counters/" + st.Backend + "/" + id
			s.do("DELETE", base, nil).want(t, "reset", http.StatusNoContent, "")

			const limit = 3
			inc := base + "/increment?strategy=" + url.QueryEscape(st.ID)
			if st.Conditional {
				inc += fmt.Sprintf("&max=%d", limit)
			}
			for want := int64(1); want <= limit; want++ {
				r := s.do("POST", inc, nil)
				r.want(t, "increment", http.StatusOK, "")
				checkIncrement(t, r, st, id, want, limit)
			}

			r := s.do("POST", inc, nil)
			wantValue := int64(limit + 1)
			if st.Conditional {
				r.want(t, "increment at max", http.StatusConflict, "limit_reached")
				wantValue = limit
			} else {
				r.want(t, "increment past 3", http.StatusOK, "")
				checkIncrement(t, r, st, id, wantValue, limit)
			}

			got := s.do("GET", base, nil)
			got.want(t, "get", http.StatusOK, "")
			if v := got.num(t, "value"); v != wantValue {
				t.Errorf("GET value %d, want %d", v, wantValue)
			}
			if got.body["exists"] != true || got.body["backend"] != st.Backend ||
				got.body["id"] != id {
				t.Errorf("GET body %s, want backend %s, id %s, exists true", got.raw,
					st.Backend, id)
			}

			s.do("DELETE", base, nil).want(t, "delete", http.StatusNoContent, "")
			gone := s.do("GET", base, nil)
			gone.want(t, "get after delete", http.StatusOK, "")
			if gone.num(t, "value") != 0 || gone.body["exists"] != false {
				t.Errorf("GET after delete %s, want value 0, exists false", gone.raw)
			}
		})
	}
}

// checkIncrement checks one increment answer.
func checkIncrement(t *testing.T, r response, st backends.Strategy, id string, value,
	limit int64,
) {
	t.Helper()
	if got := r.num(t, "value"); got != value {
		t.Errorf("value %d, want %d", got, value)
	}
	if r.body["backend"] != st.Backend || r.body["strategy"] != st.ID || r.body["id"] != id {
		t.Errorf("body %s, want backend %s, strategy %s, id %s", r.raw, st.Backend, st.ID, id)
	}
	if got := r.num(t, "attempts"); got < 1 {
		t.Errorf("attempts %d, want at least 1", got)
	}
	if got := r.num(t, "roundTrips"); got < int64(st.RoundTrips) {
		t.Errorf("roundTrips %d, want at least %d", got, st.RoundTrips)
	}
	if ms, ok := r.body["elapsedMs"].(float64); !ok || ms < 0 {
		t.Errorf("elapsedMs %v, want a number >= 0", r.body["elapsedMs"])
	}
	maxField, present := r.body["max"]
	switch {
	case !present:
		t.Errorf("no max field in %s", r.raw)
	case st.Conditional && maxField != float64(limit):
		t.Errorf("max %v, want %d", maxField, limit)
	case !st.Conditional && maxField != nil:
		t.Errorf("max %v, want null for an unconditional strategy", maxField)
	}
}

// TestDefaultStrategy checks that without strategy the unconditional one
// runs, and with max the correct conditional one.
func TestDefaultStrategy(t *testing.T) {
	s := newTestServer(t, testOptions{})

	for _, name := range []string{backends.Redis, backends.DynamoDB, backends.Momento} {
		for _, hasMax := range []bool{false, true} {
			want, _ := backends.LookupStrategy(name, "", hasMax)
			path := "/api/counters/" + name + "/default/increment"
			if hasMax {
				path += "?max=100"
			}
			r := s.do("POST", path, nil)
			r.want(t, path, http.StatusOK, "")
			if r.body["strategy"] != want.ID {
				t.Errorf("POST %s: strategy %v, want %s", path, r.body["strategy"], want.ID)
			}
			if want.Conditional != hasMax || !want.Correct {
				t.Errorf("%s default (max %t) is %+v, want a correct strategy with "+
					"conditional %t", name, hasMax, want, hasMax)
			}
		}
	}
}

// TestIDsAsSent checks that ids with a slash, spaces or non-ASCII letters,
// percent-encoded in the path, reach the store as sent and at the limit.
func TestIDsAsSent(t *testing.T) {
	s := newTestServer(t, testOptions{})

	ids := []string{"a/b", "with space", "compteur-été", "数", string(make200('x'))}
	for _, id := range ids {
		path := "/api/counters/redis/" + url.PathEscape(id)
		r := s.do("POST", path+"/increment", nil)
		r.want(t, "increment "+id, http.StatusOK, "")
		if r.body["id"] != id {
			t.Errorf("id %q came back as %v", id, r.body["id"])
		}
		g := s.do("GET", path, nil)
		g.want(t, "get "+id, http.StatusOK, "")
		if g.num(t, "value") != 1 {
			t.Errorf("GET %q: value %v, want 1", id, g.body["value"])
		}
	}
}

func make200(c byte) []byte {
	b := make([]byte, MaxIDBytes)
	for i := range b {
		b[i] = c
	}
	return b
}

// TestPlusInIDIsNotASpace checks that a + in the path is a plus: the id
// "x/plus+id" is its own counter, not "x/plus id". (When the path holds an
// escape such as %2F, Gin unescapes path values with the query rules, which
// read + as a space.)
func TestPlusInIDIsNotASpace(t *testing.T) {
	s := newTestServer(t, testOptions{})

	const plus, space = "x%2Fplus+id", "x%2Fplus%20id"
	for _, name := range []string{backends.Redis, backends.DynamoDB, backends.Momento} {
		for _, p := range []string{plus, space} {
			s.do("DELETE", "/api/counters/"+name+"/"+p, nil).
				want(t, "reset "+p, http.StatusNoContent, "")
		}

		r := s.do("POST", "/api/counters/"+name+"/"+plus+"/increment", nil)
		r.want(t, "increment "+plus, http.StatusOK, "")
		if got := r.body["id"]; got != "x/plus+id" {
			t.Errorf("%s: id came back as %v, want x/plus+id", name, got)
		}

		g := s.do("GET", "/api/counters/"+name+"/"+space, nil)
		g.want(t, "get "+space, http.StatusOK, "")
		if got := g.num(t, "value"); got != 0 {
			t.Errorf("%s: counter %q reads %d after an increment of %q, want 0",
				name, "x/plus id", got, "x/plus+id")
		}

		c := s.do("POST", "/"+name+"/x%2Fplus%2Bid", nil)
		c.want(t, "compat increment", http.StatusOK, "")
		if got := c.num(t, "counter"); got != 2 {
			t.Errorf("%s: compat increment of x%%2Fplus%%2Bid gave %d, want 2", name, got)
		}
	}
}
