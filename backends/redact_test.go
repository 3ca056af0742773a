package backends

import "testing"

func TestRedactURL(t *testing.T) {
	cases := []struct{ raw, want string }{
		{"redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"},
		{"redis://user:secret@127.0.0.1:6379/2", "redis://user:xxxxx@127.0.0.1:6379/2"},
		{"rediss://:secret@cache.example.com:6380", "rediss://:xxxxx@cache.example.com:6380"},
		{"http://127.0.0.1:8000?token=secret#frag", "http://127.0.0.1:8000"},
		{"http://me@127.0.0.1:8000", "http://me@127.0.0.1:8000"},
		{"http://[::1", "(unparsable URL)"},
	}
	for _, tc := range cases {
		if got := RedactURL(tc.raw); got != tc.want {
			t.Errorf("RedactURL(%q): got %q, want %q", tc.raw, got, tc.want)
		}
	}
}
