package web

import (
	"errors"
	"net/http"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/backends/embedded"
	"github.com/counterlab/counterlab/compare"
	"github.com/gin-gonic/gin"
)

// Codes of the HTTP layer, next to the backend codes of package backends.
const (
	// CodeNotFound answers a path that no route serves.
	CodeNotFound backends.Code = "not_found"
	// CodeMethodNotAllowed answers a path served by a route with another method.
	CodeMethodNotAllowed backends.Code = "method_not_allowed"
	// CodeBodyTooLarge answers a request body over MaxBodyBytes.
	CodeBodyTooLarge backends.Code = "body_too_large"
)

// statusOf is the one table from error code to HTTP status.
var statusOf = map[backends.Code]int{
	backends.CodeInvalidInput:   http.StatusBadRequest,
	backends.CodeUnknownBackend: http.StatusNotFound,
	backends.CodeLimitReached:   http.StatusConflict,
	backends.CodeConflict:       http.StatusConflict,
	backends.CodeNotInteger:     http.StatusUnprocessableEntity,
	backends.CodeOverflow:       http.StatusUnprocessableEntity,
	backends.CodeUnavailable:    http.StatusServiceUnavailable,
	backends.CodeOutcomeUnknown: http.StatusGatewayTimeout,
	backends.CodeInternal:       http.StatusInternalServerError,
	CodeNotFound:                http.StatusNotFound,
	CodeMethodNotAllowed:        http.StatusMethodNotAllowed,
	CodeBodyTooLarge:            http.StatusRequestEntityTooLarge,
	compare.CodeBusy:            http.StatusConflict, // a run is going (runs.go)
	embedded.CodeNotEmbedded:    http.StatusConflict, // faults on a configured target
}

// StatusOf returns the HTTP status of an error code; unknown codes are
// internal errors (500).
func StatusOf(code backends.Code) int {
	if s, ok := statusOf[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Codes returns every error code the API answers with, and its status.
func Codes() map[backends.Code]int {
	out := make(map[backends.Code]int, len(statusOf))
	for k, v := range statusOf {
		out[k] = v
	}
	return out
}

// internalMessage is all a client learns about an internal error.
const internalMessage = "internal error; the server log has the details"

// writeError answers err as a JSON error body and aborts the handler chain.
// A *backends.Error with a known code is shown as is, its details merged into
// the body; anything else is an internal error, answered with a generic
// message. The error is attached to c so the request log line carries it.
func writeError(c *gin.Context, err error) {
	var e *backends.Error
	if !errors.As(err, &e) || StatusOf(e.Code) == http.StatusInternalServerError {
		e = &backends.Error{Code: backends.CodeInternal, Message: internalMessage}
	}
	status := StatusOf(e.Code)

	body := make(gin.H, len(e.Details)+2)
	for k, v := range e.Details {
		body[k] = v
	}
	body["error"] = e.Code
	body["message"] = e.Message

	c.Set(errorCodeKey, string(e.Code))
	_ = c.Error(err)
	c.AbortWithStatusJSON(status, body)
}

// answer adapts a handler that returns its error to Gin: the error, if any,
// is answered by writeError. Handlers return errors rather than answer them,
// so that every failure is answered in this one place.
func answer(handle func(c *gin.Context) error) gin.HandlerFunc {
	return func(c *gin.Context) {
		if err := handle(c); err != nil {
			writeError(c, err)
		}
	}
}

// errorCodeKey holds the answered error code in the gin context, for the log.
const errorCodeKey = "counterlab.errorCode"

// invalid returns an invalid_input error.
func invalid(format string, args ...any) *backends.Error {
	return backends.Errorf(backends.CodeInvalidInput, format, args...)
}
