package web

// Routes of this file:
//   GET /api/backends

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/counterlab/counterlab/backends"
	"github.com/gin-gonic/gin"
)

func (h *handlers) registerBackends(r *gin.Engine) {
	getAndHead(r, "/api/backends", h.listBackends)
}

// backendInfo describes one backend: where it points, whether it answers and
// its strategies.
type backendInfo struct {
	Name       string              `json:"name"`
	Target     backends.Target     `json:"target"`
	Health     health              `json:"health"`
	Strategies []backends.Strategy `json:"strategies"`
}

// health is the outcome of one health check. Error is empty when OK.
type health struct {
	OK        bool      `json:"ok"`
	Error     string    `json:"error"`
	CheckedAt time.Time `json:"checkedAt"`
	LatencyMs float64   `json:"latencyMs"`
}

func (h *handlers) listBackends(c *gin.Context) {
	checks := h.checkHealth(c.Request.Context())

	out := make([]backendInfo, len(h.deps.Backends))
	for i, b := range h.deps.Backends {
		out[i] = backendInfo{
			Name:       b.Name(),
			Target:     b.Target(),
			Health:     checks[i],
			Strategies: backends.StrategiesOf(b.Name()),
		}
	}
	c.JSON(http.StatusOK, gin.H{"backends": out})
}

// checkHealth checks every backend at once, each bounded by HealthTimeout,
// and returns the outcomes in the order of Deps.Backends.
func (h *handlers) checkHealth(ctx context.Context) []health {
	out := make([]health, len(h.deps.Backends))
	var wg sync.WaitGroup
	for i, b := range h.deps.Backends {
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(ctx, h.deps.HealthTimeout)
			defer cancel()

			start := time.Now()
			err := b.Health(ctx)
			out[i] = health{
				OK:        err == nil,
				CheckedAt: start.UTC(),
				LatencyMs: millis(time.Since(start)),
			}
			if err != nil {
				out[i].Error = err.Error()
			}
		})
	}
	wg.Wait()
	return out
}
