package web

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/counterlab/counterlab/backends"
)

// readBody reads the request body, which limitBody caps at MaxBodyBytes.
//
// The rule, the same on every route: an empty body (or only white space) is
// no body at all and leaves dst untouched. With dst nil the body is checked
// and ignored (routes that take no body): it must be one valid JSON value.
// Otherwise dst is a pointer to a struct and the body must be one JSON
// object whose keys are field names of dst, matched exactly (case counts),
// each given once and none null. Errors name the field and never a Go type.
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
	return decodeObject(data, dst)
}

// decodeObject decodes the JSON object data into the struct dst points to,
// by the rules of readBody.
func decodeObject(data []byte, dst any) error {
	all := json.NewDecoder(bytes.NewReader(data))
	var first json.RawMessage
	if err := all.Decode(&first); err != nil {
		return notJSON(err)
	}
	if _, err := all.Token(); err != io.EOF {
		return invalid("the request body holds more than one JSON value")
	}

	dec := json.NewDecoder(bytes.NewReader(first))
	tok, err := dec.Token()
	if err != nil {
		return notJSON(err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return invalid("the request body must be one JSON object, got %s", describeJSON(first))
	}

	fields := jsonFields(dst)
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return notJSON(err)
		}
		key, _ := tok.(string)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return notJSON(err)
		}

		f, ok := fields[key]
		if !ok {
			return unknownField(key, fields)
		}
		if seen[key] {
			return invalid("field %q is given more than once", key).With("field", key)
		}
		seen[key] = true
		if string(raw) == "null" {
			return fieldError(key, f.Type(), raw)
		}
		if err := json.Unmarshal(raw, f.Addr().Interface()); err != nil {
			var be *backends.Error
			if errors.As(err, &be) {
				return be.With("field", key)
			}
			return fieldError(key, f.Type(), raw)
		}
	}
	return nil
}

// notJSON is the error for a body that is not valid JSON.
func notJSON(err error) error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return invalid("the request body is not valid JSON: %v (at byte %d)", err, syn.Offset)
	}
	return invalid("the request body is not valid JSON: it ends too early")
}

// jsonFields returns the fields of the struct dst points to, by JSON name.
func jsonFields(dst any) map[string]reflect.Value {
	v := reflect.ValueOf(dst).Elem()
	out := map[string]reflect.Value{}
	for i := range v.NumField() {
		name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			out[name] = v.Field(i)
		}
	}
	return out
}

// unknownField is the error for a key that is no field; a key that differs
// from one only in case says so.
func unknownField(key string, fields map[string]reflect.Value) error {
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if strings.EqualFold(n, key) {
			return invalid("unknown field %q: field names are case-sensitive, did you mean %q?",
				key, n).With("field", key).With("fields", names)
		}
	}
	return invalid("unknown field %q", key).With("field", key).With("fields", names)
}

// fieldError is the error for a value of the wrong type.
func fieldError(key string, t reflect.Type, raw []byte) error {
	return invalid("field %q: want %s, got %s", key, describeType(t), describeJSON(raw)).
		With("field", key)
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// describeType says in plain words what JSON a Go type takes.
func describeType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		return "a string"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "a list of " + strings.TrimPrefix(strings.TrimPrefix(
			describeType(t.Elem()), "an "), "a ") + "s"
	default:
		return "an object"
	}
}

// describeJSON shows a JSON value in an error: short ones as written, long
// ones by their kind.
func describeJSON(raw []byte) string {
	if len(raw) <= 40 {
		return string(raw)
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "a list"
	case '"':
		return "a long string"
	default:
		return "a long number"
	}
}
