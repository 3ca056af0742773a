package web

// Routes of this file:
//   GET    /api/faults            the fault of each backend's embedded target
//   PUT    /api/faults/:backend   set (replace) a backend's fault
//   DELETE /api/faults/:backend   clear a backend's fault
//   DELETE /api/faults            clear every fault
//
// Faults work on the embedded targets only: CounterLab cannot, and should
// not, make a configured Redis, DynamoDB or Momento slow or failing.

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/backends/embedded"
)

func (h *handlers) registerFaults(r *gin.Engine) {
	getAndHead(r, "/api/faults", h.listFaults)
	r.PUT("/api/faults/:backend", answer(h.setFault))
	r.DELETE("/api/faults/:backend", answer(h.clearFault))
	r.DELETE("/api/faults", answer(h.clearFaults))
}

// faultJSON is a fault as the API reads and shows it.
type faultJSON struct {
	// Operation limits the fault to one Redis command, DynamoDB operation or
	// emulator RPC; empty matches every request.
	Operation string  `json:"operation"`
	DelayMs   float64 `json:"delayMs"`
	FailShare float64 `json:"failShare"`
	Failure   string  `json:"failure"`
}

// faultInfo is one backend's fault injection.
type faultInfo struct {
	Backend  string `json:"backend"`
	Embedded bool   `json:"embedded"`
	// Fault is the fault set, null when none is.
	Fault *faultJSON `json:"fault"`
	// Failures and Operations are the choices of this backend.
	Failures   []string `json:"failures"`
	Operations []string `json:"operations"`
}

func (h *handlers) faultInfo(name string) faultInfo {
	info := faultInfo{
		Backend:    name,
		Embedded:   h.deps.Embedded.Embedded(name),
		Failures:   embedded.Failures(name),
		Operations: embedded.Operations(name),
	}
	if info.Embedded {
		if f, ok := h.deps.Embedded.Fault(name); ok {
			info.Fault = &faultJSON{Operation: f.Operation, DelayMs: millis(f.Delay),
				FailShare: f.FailShare, Failure: f.Failure}
		}
	}
	return info
}

func (h *handlers) listFaults(c *gin.Context) {
	out := make([]faultInfo, 0, len(h.deps.Backends))
	for _, b := range h.deps.Backends {
		out = append(out, h.faultInfo(b.Name()))
	}
	c.JSON(http.StatusOK, gin.H{"backends": out})
}

// faultTarget checks the backend of the path and that its target is
// embedded.
func (h *handlers) faultTarget(c *gin.Context) (string, error) {
	b, err := h.backend(c)
	if err != nil {
		return "", err
	}
	if !h.deps.Embedded.Embedded(b.Name()) {
		return "", backends.Errorf(embedded.CodeNotEmbedded,
			"%s runs on a %s target (%s): faults can only be injected into the "+
				"embedded targets CounterLab starts itself", b.Name(), b.Target().Kind,
			b.Target().Address)
	}
	return b.Name(), nil
}

func (h *handlers) setFault(c *gin.Context) error {
	name, err := h.faultTarget(c)
	if err != nil {
		return err
	}
	var req faultJSON
	if err := readBody(c, &req); err != nil {
		return err
	}
	if req.DelayMs < 0 || req.DelayMs > float64(embedded.MaxFaultDelay/time.Millisecond) {
		return invalid("delayMs is %v: want 0 to %d", req.DelayMs,
			embedded.MaxFaultDelay.Milliseconds()).With("field", "delayMs")
	}

	f := embedded.Fault{
		Operation: req.Operation,
		Delay:     time.Duration(req.DelayMs * float64(time.Millisecond)),
		FailShare: req.FailShare,
		Failure:   req.Failure,
	}
	if err := h.deps.Embedded.SetFault(name, f); err != nil {
		return err
	}
	h.log.Info("fault set", "backend", name, "operation", f.Operation, "delay", f.Delay,
		"failShare", f.FailShare, "failure", f.Failure)
	c.JSON(http.StatusOK, h.faultInfo(name))
	return nil
}

func (h *handlers) clearFault(c *gin.Context) error {
	name, err := h.faultTarget(c)
	if err != nil {
		return err
	}
	if err := readBody(c, nil); err != nil {
		return err
	}
	if err := h.deps.Embedded.ClearFault(name); err != nil {
		return err
	}
	h.log.Info("fault cleared", "backend", name)
	c.Status(http.StatusNoContent)
	return nil
}

// clearFaults clears the fault of every embedded target.
func (h *handlers) clearFaults(c *gin.Context) error {
	if err := readBody(c, nil); err != nil {
		return err
	}
	for _, b := range h.deps.Backends {
		if h.deps.Embedded.Embedded(b.Name()) {
			if err := h.deps.Embedded.ClearFault(b.Name()); err != nil {
				return err
			}
		}
	}
	h.log.Info("faults cleared")
	c.Status(http.StatusNoContent)
	return nil
}
