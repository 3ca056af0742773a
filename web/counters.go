package web

// Routes of this file:
//   POST   /api/counters/:backend/:id/increment?strategy=S&max=N
//   GET    /api/counters/:backend/:id
//   DELETE /api/counters/:backend/:id

import (
	"net/http"
	"strconv"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/counterlab/counterlab/backends"
	"github.com/gin-gonic/gin"
)

// MaxIDBytes is the longest counter id, in bytes.
const MaxIDBytes = 200

func (h *handlers) registerCounters(r *gin.Engine) {
	r.POST("/api/counters/:backend/:id/increment", answer(h.increment))
	getAndHead(r, "/api/counters/:backend/:id", answer(h.getCounter))
	r.DELETE("/api/counters/:backend/:id", answer(h.resetCounter))
}

// incrementResponse is the answer of one increment. Max is null for an
// unconditional strategy.
type incrementResponse struct {
	Backend    string  `json:"backend"`
	Strategy   string  `json:"strategy"`
	ID         string  `json:"id"`
	Value      int64   `json:"value"`
	Max        *int64  `json:"max"`
	RoundTrips int     `json:"roundTrips"`
	Attempts   int     `json:"attempts"`
	ElapsedMs  float64 `json:"elapsedMs"`
}

func (h *handlers) increment(c *gin.Context) error {
	b, id, err := h.counterTarget(c)
	if err != nil {
		return err
	}

	s, limit, err := strategyOf(c, b.Name())
	if err != nil {
		return err
	}

	if err := readBody(c, nil); err != nil {
		return err
	}

	ctx, cancel := h.operationContext(c)
	defer cancel()
	start := time.Now()
	res, err := b.Increment(ctx, s.ID, id, limit)
	elapsed := time.Since(start)
	if err != nil {
		return err
	}

	out := incrementResponse{
		Backend:    b.Name(),
		Strategy:   s.ID,
		ID:         id,
		Value:      res.Value,
		RoundTrips: res.RoundTrips,
		Attempts:   res.Attempts,
		ElapsedMs:  millis(elapsed),
	}
	if s.Conditional {
		out.Max = &limit
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// counterResponse is a counter as read.
type counterResponse struct {
	Backend string `json:"backend"`
	ID      string `json:"id"`
	Value   int64  `json:"value"`
	Exists  bool   `json:"exists"`
}

func (h *handlers) getCounter(c *gin.Context) error {
	b, id, err := h.counterTarget(c)
	if err != nil {
		return err
	}

	ctx, cancel := h.operationContext(c)
	defer cancel()
	r, err := b.Get(ctx, id)
	if err != nil {
		return err
	}

	c.JSON(http.StatusOK,
		counterResponse{Backend: b.Name(), ID: id, Value: r.Value, Exists: r.Exists})
	return nil
}

func (h *handlers) resetCounter(c *gin.Context) error {
	b, id, err := h.counterTarget(c)
	if err != nil {
		return err
	}

	if err := readBody(c, nil); err != nil {
		return err
	}

	ctx, cancel := h.operationContext(c)
	defer cancel()
	if err := b.Reset(ctx, id); err != nil {
		return err
	}

	c.Status(http.StatusNoContent)
	return nil
}

// counterTarget checks the backend and the id of the path.
func (h *handlers) counterTarget(c *gin.Context) (backends.Backend, string, error) {
	b, err := h.backend(c)
	if err != nil {
		return nil, "", err
	}
	id, err := pathValue(c, "id")
	if err != nil {
		return nil, "", err
	}
	if err := checkID(id); err != nil {
		return nil, "", err
	}
	return b, id, nil
}

// checkID enforces the id rule: 1 to MaxIDBytes bytes of valid UTF-8 with no
// control character.
func checkID(id string) error {
	switch {
	case id == "":
		return invalid("the counter id is empty")
	case len(id) > MaxIDBytes:
		return invalid("the counter id is %d bytes long; the limit is %d", len(id), MaxIDBytes).
			With("limit", MaxIDBytes)
	case !utf8.ValidString(id):
		return invalid("the counter id is not valid UTF-8")
	}
	for _, r := range id {
		if unicode.IsControl(r) {
			return invalid("the counter id holds the control character %U", r)
		}
	}
	return nil
}

// strategyOf reads the strategy and max query parameters and checks them
// against each other: conditional strategies need max, unconditional ones
// refuse it; no strategy picks the backend's default for the presence of max.
func strategyOf(c *gin.Context, backend string) (backends.Strategy, int64, error) {
	name, err := queryParam(c, "strategy")
	if err != nil {
		return backends.Strategy{}, 0, err
	}
	rawMax, err := queryParam(c, "max")
	if err != nil {
		return backends.Strategy{}, 0, err
	}

	var limit int64
	hasMax := rawMax != ""
	if hasMax {
		if limit, err = parseMax(rawMax); err != nil {
			return backends.Strategy{}, 0, err
		}
	}

	s, ok := backends.LookupStrategy(backend, name, hasMax)
	switch {
	case !ok:
		return s, 0, invalid("backend %s has no strategy %q", backend, name).
			With("strategies", strategyIDs(backend))
	case s.Conditional && !hasMax:
		return s, 0, invalid("strategy %s is conditional: it needs max", s.ID)
	case !s.Conditional && hasMax:
		return s, 0, invalid("strategy %s is unconditional: it takes no max", s.ID)
	}
	return s, limit, nil
}

// parseMax reads max: an integer from 1 to backends.MaxLimit.
func parseMax(raw string) (int64, error) {
	n, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || n < 1 || n > backends.MaxLimit {
		return 0, invalid("max=%q: want an integer from 1 to %d", raw, int64(backends.MaxLimit)).
			With("limit", int64(backends.MaxLimit))
	}
	return n, nil
}

// queryParam returns a query parameter given at most once; an empty value is
// the same as none.
func queryParam(c *gin.Context, name string) (string, error) {
	vs := c.QueryArray(name)
	if len(vs) > 1 {
		return "", invalid("the query parameter %s is given %d times", name, len(vs))
	}
	if len(vs) == 0 {
		return "", nil
	}
	return vs[0], nil
}

func strategyIDs(backend string) []string {
	var ids []string
	for _, s := range backends.StrategiesOf(backend) {
		ids = append(ids, s.ID)
	}
	return ids
}
