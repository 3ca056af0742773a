package backends

import (
	"errors"
	"fmt"
)

// Code is a stable error code that appears in API responses.
type Code string

// The error codes. The HTTP status for each lives in one table in web/.
const (
	CodeInvalidInput   Code = "invalid_input"
	CodeUnknownBackend Code = "unknown_backend"
	CodeLimitReached   Code = "limit_reached"
	CodeConflict       Code = "conflict"
	CodeNotInteger     Code = "not_integer"
	CodeOverflow       Code = "overflow"
	CodeUnavailable    Code = "unavailable"
	CodeOutcomeUnknown Code = "outcome_unknown"
	CodeInternal       Code = "internal"
)

// Error is the one error type of CounterLab: a code, a message for users and
// optional details that go into the JSON body next to them.
type Error struct {
	Code    Code
	Message string
	// Details are extra fields of the error body, e.g. "max" or "attempts".
	Details map[string]any
	// Err is the cause, if any; it is logged, never shown for internal errors.
	Err error
}

// Error formats the code, the message and the cause.
func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with the code and message whose cause is err.
func Wrap(code Code, err error, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// With returns e with one more detail field set.
func (e *Error) With(key string, value any) *Error {
	if e.Details == nil {
		e.Details = map[string]any{}
	}
	e.Details[key] = value
	return e
}

// ErrorCode returns the code of the first *Error in err's chain, or
// CodeInternal when there is none.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}
