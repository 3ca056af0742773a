package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/gin-gonic/gin"
)

// readBody reads the request body, which limitBody caps at MaxBodyBytes.
//
// The rule, the same on every route: an empty body (or only white space) is
// no body at all and leaves dst untouched; anything else must be one valid
// JSON value. With dst nil the body is checked and ignored (routes that take
// no body); otherwise it is decoded into dst, unknown fields refused.
func readBody(c *gin.Context, dst any) error {
	data, err := io.ReadAll(c.Request.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return tooLarge()
		}
		return invalid("could not read the request body: %v", err)
	}

	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return nil
	}
	if dst == nil {
		if !json.Valid(data) {
			return invalid("the request body is not valid JSON " +
				"(this route takes no body: send none, or valid JSON, which is ignored)")
		}
		return nil
	}

	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return invalid("the request body is not valid: %v", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return invalid("the request body holds more than one JSON value")
	}
	return nil
}
