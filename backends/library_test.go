package backends

import "testing"

// TestLibrary covers a module the binary does not link; the versions of the
// linked client libraries are checked by each backend's TestTarget.
func TestLibrary(t *testing.T) {
	cases := []struct {
		name, path, fallback, want string
	}{
		// This test binary links no such module: the fallback is shown.
		{"module not linked", "example.com/not/linked", "v0.1.2",
			"example.com/not/linked v0.1.2"},
		{"the main module is no dependency", "github.com/counterlab/counterlab", "v9.9.9",
			"github.com/counterlab/counterlab v9.9.9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Library(tc.path, tc.fallback); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
