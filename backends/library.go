package backends

import "runtime/debug"

// Library names a client library for Target.Library: its module path and
// the version linked into this binary, or fallback when the binary carries
// no build information or no version for it.
func Library(path, fallback string) string {
	return path + " " + libraryVersion(path, fallback)
}

// libraryVersion is the version of module path in this binary's build
// information (its replacement's, when it is replaced by a version), or
// fallback.
func libraryVersion(path, fallback string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return fallback
	}
	for _, m := range bi.Deps {
		if m.Path != path {
			continue
		}
		if m.Replace != nil && m.Replace.Version != "" {
			return m.Replace.Version
		}
		if m.Version != "" {
			return m.Version
		}
	}
	return fallback
}
