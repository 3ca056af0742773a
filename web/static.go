package web

// Routes of this file:
//   GET|HEAD /                  the page (index.html)
//   GET|HEAD /static/*filepath  the page's files

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/counterlab/counterlab/backends"
	"github.com/counterlab/counterlab/static"
	"github.com/gin-gonic/gin"
)

// staticFiles are the embedded files read once, each with an ETag from its
// content so that browsers revalidate cheaply.
type staticFiles struct {
	files map[string]staticFile
}

type staticFile struct {
	data []byte
	etag string
}

// loadStatic reads every embedded file. The embedded tree is part of the
// binary, so a failure here is a build defect and panics.
func loadStatic() *staticFiles {
	s := &staticFiles{files: map[string]staticFile{}}
	err := fs.WalkDir(static.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(static.FS, path)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		s.files[path] = staticFile{data: data, etag: `"` + hex.EncodeToString(sum[:8]) + `"`}
		return nil
	})
	if err != nil {
		panic("web: read the embedded static files: " + err.Error())
	}
	return s
}

func (h *handlers) registerStatic(r *gin.Engine) {
	page := func(c *gin.Context) { h.serveFile(c, "index.html") }
	file := func(c *gin.Context) {
		name, err := pathValue(c, "filepath")
		if err != nil {
			writeError(c, err)
			return
		}
		h.serveFile(c, strings.TrimPrefix(name, "/"))
	}
	getAndHead(r, "/", page)
	getAndHead(r, "/static/*filepath", file)
}

func (h *handlers) serveFile(c *gin.Context, name string) {
	f, ok := h.static.files[name]
	if !ok {
		writeError(c, backends.Errorf(CodeNotFound, "no static file %q", name))
		return
	}

	c.Header("ETag", f.etag)
	c.Header("Cache-Control", "no-cache")
	http.ServeContent(c.Writer, c.Request, name, time.Time{}, bytes.NewReader(f.data))
}
