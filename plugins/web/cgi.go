package web

import (
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/cgi"
	"path"
	"path/filepath"
	"strings"
)

// isCGI reports whether a file's extension has a --processor.
func (s *site) isCGI(rel string) bool {
	return s.opts.cgiExts != nil && s.opts.cgiExts[strings.ToLower(path.Ext(rel))]
}

// serveCGI runs the program rel (already opened once, so known to be a
// regular file inside the root) with net/http/cgi. pathInfo is what
// followed the program's name in the URL. Programs must be executable;
// any method is passed on to them. mount is the URL path the document
// root hangs from ("" or "/~user").
func (s *site) serveCGI(w http.ResponseWriter, r *http.Request, fi fs.FileInfo, mount, rel, pathInfo string) {
	if fi.Mode().Perm()&0o111 == 0 {
		forbidden(w, r)
		return
	}
	file := filepath.Join(s.root.Path(), filepath.FromSlash(rel))
	script := mount + "/" + rel // the program's URL path, canonical
	h := &cgi.Handler{
		Path:   file,
		Root:   script,
		Dir:    filepath.Dir(file),
		Logger: slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		Stderr: logWriter{s.log},
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = script + pathInfo
	r2.URL.RawPath = ""
	h.ServeHTTP(w, r2)
}

// serveCGIPrefix handles /prog.cgi/extra/path: when opening rel failed
// because a component is a file, it looks for a CGI program among rel's
// prefixes and runs it with the rest as PATH_INFO. It reports whether it
// answered.
func (s *site) serveCGIPrefix(w http.ResponseWriter, r *http.Request, mount, rel string) bool {
	segs := strings.Split(rel, "/")
	for i := len(segs) - 1; i > 0; i-- {
		prog := strings.Join(segs[:i], "/")
		if !s.isCGI(prog) {
			continue
		}
		fi, err := s.root.Stat(prog)
		if err != nil || !fi.Mode().IsRegular() {
			return false
		}
		s.serveCGI(w, r, fi, mount, prog, "/"+strings.Join(segs[i:], "/"))
		return true
	}
	return false
}

// logWriter sends a CGI program's stderr to the log, a line per Write.
type logWriter struct{ log *slog.Logger }

func (l logWriter) Write(p []byte) (int, error) {
	l.log.Warn("cgi: " + strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
