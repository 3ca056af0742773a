package web

// Routes of this file:
//   GET|HEAD /healthz   the process answers
//   GET|HEAD /readyz    every backend answers

import (
	"net/http"
	"strings"

	"github.com/counterlab/counterlab/backends"
	"github.com/gin-gonic/gin"
)

func (h *handlers) registerHealth(r *gin.Engine) {
	getAndHead(r, "/healthz", h.healthz)
	getAndHead(r, "/readyz", answer(h.readyz))
}

func (h *handlers) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

func (h *handlers) readyz(c *gin.Context) error {
	checks := h.checkHealth(c.Request.Context())

	unhealthy := map[string]string{}
	var names []string
	for i, b := range h.deps.Backends {
		if !checks[i].OK {
			unhealthy[b.Name()] = checks[i].Error
			names = append(names, b.Name())
		}
	}
	if len(names) > 0 {
		return backends.Errorf(backends.CodeUnavailable,
			"not ready: %s not healthy", strings.Join(names, ", ")).
			With("unhealthy", unhealthy)
	}

	ok := make(map[string]bool, len(h.deps.Backends))
	for _, b := range h.deps.Backends {
		ok[b.Name()] = true
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "backends": ok})
	return nil
}
