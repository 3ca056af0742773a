// Package static holds the page (index.html, app.js, style.css), embedded in
// the binary so that it needs no files next to it.
package static

import "embed"

// FS holds the page's files at its root.
//
//go:embed *.html *.js *.css
var FS embed.FS
