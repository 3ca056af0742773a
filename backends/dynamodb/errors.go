package dynamodb

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptrace"
	"strings"
	"sync/atomic"

	"github.com/aws/smithy-go"

	"github.com/counterlab/counterlab/backends"
)

// Classification of failures. What matters for an increment is whether it
// may have been applied:
//
//   - An answer with an error code in the 4xx range means DynamoDB refused the
//     request: nothing was applied. Throttling and refused credentials are
//     unavailable; a string where a number is needed is not_integer.
//   - An answer in the 5xx range (InternalServerError, ServiceUnavailable)
//     is outcome_unknown: DynamoDB documents that such a request may or may
//     not have been applied.
//   - An answer that is not a DynamoDB error (a proxy's page, a body that does
//     not parse) counts by its status: 4xx refused, anything else
//     outcome_unknown.
//   - With no answer, the question is whether the request may have left. An
//     HTTP client trace tells: a failure to resolve, dial, sign or get
//     credentials before the transport wrote the headers is unavailable; a
//     timeout or a broken connection after that is outcome_unknown. (The
//     trace's WroteRequest would be more precise but may run after the
//     response has come back; WroteHeaders always runs before any byte of
//     the request reaches the connection.)
//
// The client never retries an item operation (aws.NopRetryer), so one call
// is one request.

// traced returns ctx with an HTTP client trace that records whether a
// request may have been sent: set once its headers are written.
func traced(ctx context.Context) (context.Context, *atomic.Bool) {
	sent := new(atomic.Bool)
	trace := &httptrace.ClientTrace{
		WroteHeaders: func() { sent.Store(true) },
	}
	return httptrace.WithClientTrace(ctx, trace), sent
}

// Codes of DynamoDB errors, grouped by what they mean here.
var (
	throttled = codes("ThrottlingException", "ProvisionedThroughputExceededException",
		"RequestLimitExceeded", "LimitExceededException", "TooManyRequestsException")
	refused = codes("ResourceNotFoundException", "UnrecognizedClientException",
		"AccessDeniedException", "InvalidSignatureException", "MissingAuthenticationToken",
		"MissingAuthenticationTokenException", "ExpiredTokenException",
		"IncompleteSignature", "IncompleteSignatureException", "InvalidClientTokenId")
	serverFailed = codes("InternalServerError", "InternalFailure", "ServiceUnavailable",
		"ServiceUnavailableException")
)

func codes(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// classify turns an error of the SDK into a *backends.Error. sent tells
// whether the request was written; what names the operation and its input.
func classify(err error, sent bool, format string, args ...any) *backends.Error {
	what := fmt.Sprintf(format, args...)
	code, why := classifyCode(err, sent)
	return backends.Wrap(code, err, "%s: %s", what, why)
}

// Reasons, in plain words, given with each code.
const (
	whyUnknown = "the request was sent but no answer came back; " +
		"it may or may not have been applied, and it was not retried"
	whyServerFailed = "DynamoDB failed while handling the request; " +
		"it may or may not have been applied, and it was not retried"
)

// classifyCode picks the code of err and the reason shown with it.
func classifyCode(err error, sent bool) (backends.Code, string) {
	status := 0
	var resp interface{ HTTPStatusCode() int } // a response came back
	if errors.As(err, &resp) {
		status = resp.HTTPStatusCode()
	}

	var api smithy.APIError
	switch {
	case errors.As(err, &api):
		return apiCode(api, status)
	case status >= 400 && status < 500:
		return backends.CodeUnavailable, fmt.Sprintf(
			"the endpoint refused the request with status %d; nothing was applied", status)
	case status != 0:
		return backends.CodeOutcomeUnknown, fmt.Sprintf(
			"the endpoint answered status %d with a body that does not parse; "+
				"the request may or may not have been applied, and it was not retried", status)
	case !sent:
		return backends.CodeUnavailable,
			"DynamoDB could not be reached; the request was not sent, nothing was applied"
	}
	return backends.CodeOutcomeUnknown, whyUnknown
}

// apiCode maps an error answer of DynamoDB to a code.
func apiCode(api smithy.APIError, status int) (backends.Code, string) {
	name := api.ErrorCode()
	switch {
	case status >= 500 || serverFailed[name]:
		return backends.CodeOutcomeUnknown, whyServerFailed
	case throttled[name]:
		return backends.CodeUnavailable, "DynamoDB throttled the request; nothing was applied"
	case name == "ResourceNotFoundException":
		return backends.CodeUnavailable, "the table does not exist (it will be created " +
			"again on the next call); nothing was applied"
	case refused[name]:
		return backends.CodeUnavailable, "DynamoDB refused the request (" + name +
			"); nothing was applied"
	case name == "TransactionConflictException":
		return backends.CodeConflict, "a transaction holds the item; nothing was applied"
	case name == "ValidationException" && isTypeMismatch(api.ErrorMessage()):
		return backends.CodeNotInteger,
			"the stored value is not a number; it was left unchanged"
	}
	return backends.CodeInternal, "DynamoDB refused the request (" + name +
		"); nothing was applied"
}

// isTypeMismatch reports whether a ValidationException is about an ADD on
// an attribute that is not a number.
func isTypeMismatch(msg string) bool {
	msg = strings.ToLower(msg)
	return strings.Contains(msg, "incorrect data type") || strings.Contains(msg, "type mismatch")
}

// readFailed turns outcome_unknown into unavailable for a read, which has
// no outcome to be unsure about.
func readFailed(e *backends.Error) *backends.Error {
	if e.Code == backends.CodeOutcomeUnknown {
		e.Code = backends.CodeUnavailable
	}
	return e
}
