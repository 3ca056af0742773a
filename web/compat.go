package web

// Routes of this file:
//   POST /{backend}/{id}   compatible with the serverless original
//
// The original (API Gateway and Lambda) increments the counter id, with a
// conditional write bounded by MAX_COUNTER_VALUE when USE_CONDITIONAL_WRITES
// is true. One route is registered per backend (POST /redis/:id, ...) rather
// than a POST /:backend/:id wildcard: Gin v1.12 accepts the wildcard next to
// the other routes, but then answers POST /api/backends or POST /static/x
// with it instead of 405; noRoute answers POST /{unknown}/{id} with
// unknown_backend.

import (
	"net/http"

	"github.com/counterlab/counterlab/backends"
	"github.com/gin-gonic/gin"
)

func (h *handlers) registerCompat(r *gin.Engine) {
	for _, b := range h.deps.Backends {
		r.POST("/"+b.Name()+"/:id", answer(h.compatIncrement(b)))
	}
}

// compatResponse is the original's answer.
type compatResponse struct {
	Counter              int64 `json:"counter"`
	UseConditionalWrites bool  `json:"useConditionalWrites"`
}

// compatIncrement increments with the backend's default strategy: the
// unconditional one, or the correct conditional one bounded by
// MaxCounterValue. At the limit it answers 409 limit_reached.
func (h *handlers) compatIncrement(b backends.Backend) func(*gin.Context) error {
	conditional := h.deps.UseConditionalWrites
	s, ok := backends.LookupStrategy(b.Name(), "", conditional)
	var limit int64
	if conditional {
		limit = h.deps.MaxCounterValue
	}

	return func(c *gin.Context) error {
		if !ok {
			return backends.Errorf(backends.CodeInternal,
				"backend %s has no default strategy (conditional %t)", b.Name(), conditional)
		}
		id, err := pathValue(c, "id")
		if err != nil {
			return err
		}
		if err := checkID(id); err != nil {
			return err
		}
		if err := readBody(c, nil); err != nil {
			return err
		}

		ctx, cancel := h.operationContext(c)
		defer cancel()
		res, err := b.Increment(ctx, s.ID, id, limit)
		if err != nil {
			return err
		}

		c.JSON(http.StatusOK,
			compatResponse{Counter: res.Value, UseConditionalWrites: conditional})
		return nil
	}
}
