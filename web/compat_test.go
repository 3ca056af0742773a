package web

import (
	"net/http"
	"testing"
)

// TestCompat checks POST /{backend}/{id}, the route of the serverless
// original, unconditional and conditional, on every backend.
func TestCompat(t *testing.T) {
	names := []string{"redis", "dynamodb", "momento"}

	t.Run("unconditional", func(t *testing.T) {
		s := newTestServer(t, testOptions{deps: Deps{MaxCounterValue: 2}})
		for _, name := range names {
			for want := int64(1); want <= 4; want++ {
				r := s.do("POST", "/"+name+"/visits", nil)
				r.want(t, "POST /"+name+"/visits", http.StatusOK, "")
				if r.num(t, "counter") != want || r.body["useConditionalWrites"] != false {
					t.Errorf("%s: body %s, want counter %d, useConditionalWrites false",
						name, r.raw, want)
				}
			}
		}
	})

	t.Run("conditional", func(t *testing.T) {
		s := newTestServer(t, testOptions{deps: Deps{
			UseConditionalWrites: true, MaxCounterValue: 2,
		}})
		for _, name := range names {
			for want := int64(1); want <= 2; want++ {
				r := s.do("POST", "/"+name+"/visits", nil)
				r.want(t, "POST /"+name+"/visits", http.StatusOK, "")
				if r.num(t, "counter") != want || r.body["useConditionalWrites"] != true {
					t.Errorf("%s: body %s, want counter %d, useConditionalWrites true",
						name, r.raw, want)
				}
			}
			r := s.do("POST", "/"+name+"/visits", nil)
			r.want(t, "POST /"+name+"/visits at the limit", http.StatusConflict, "limit_reached")

			g := s.do("GET", "/api/counters/"+name+"/visits", nil)
			if g.num(t, "value") != 2 {
				t.Errorf("%s: value %v after the refused increment, want 2", name,
					g.body["value"])
			}
		}
	})

	t.Run("default limit", func(t *testing.T) {
		s := newTestServer(t, testOptions{deps: Deps{UseConditionalWrites: true}})
		for want := int64(1); want <= 10; want++ {
			s.do("POST", "/redis/ten", nil).want(t, "increment under 10", http.StatusOK, "")
		}
		s.do("POST", "/redis/ten", nil).want(t, "11th increment", http.StatusConflict,
			"limit_reached")
	})
}
