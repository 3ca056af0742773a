package backends

import "net/url"

// RedactURL returns raw for display in Target.Address: the password, if
// any, hidden, the query and fragment dropped.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	u.RawQuery = ""
	u.Fragment = ""
	return u.Redacted()
}
