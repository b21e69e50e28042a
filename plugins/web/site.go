package web

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// site serves one document root: a directory, or a single file when
// --path names one (then "/" and "/NAME" serve it and nothing else does;
// twistd answered 404 to every path in that case).
type site struct {
	path string // as given (absolute); opened by open
	opts *siteOptions
	log  *slog.Logger

	root   docRoot // nil until open
	single string  // the file's name when path is a file
	cache  *fileCache
}

func newSite(path string, opts *siteOptions, log *slog.Logger) *site {
	return &site{path: path, opts: opts, log: log, cache: newFileCache(opts.cacheBytes)}
}

// open opens the document root. It runs in Start, after any chroot and
// privilege drop, so the root is looked up where the server will read it.
func (s *site) open() error {
	fi, err := os.Stat(s.path)
	if err != nil {
		return fmt.Errorf("--path %s: %w", s.path, unwrapPath(err))
	}
	dir := s.path
	if !fi.IsDir() {
		if !fi.Mode().IsRegular() {
			return fmt.Errorf("--path %s: neither a directory nor a regular file", s.path)
		}
		dir, s.single = filepath.Dir(s.path), filepath.Base(s.path)
	}
	root, err := openDocRoot(dir, s.opts.followSymlinks)
	if err != nil {
		return fmt.Errorf("--path %s: %w", dir, unwrapPath(err))
	}
	s.root = root
	return nil
}

func (s *site) close() {
	if s.root != nil {
		_ = s.root.Close()
	}
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func (s *site) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.serve(w, r, r.URL.Path) }

// serve answers r for the URL path p below this root (p differs from
// r.URL.Path under /~user/).
func (s *site) serve(w http.ResponseWriter, r *http.Request, p string) {
	if s.opts.cgiExts == nil && !readMethod(r.Method) {
		methodNotAllowed(w, r)
		return
	}
	rel, slash, ok := splitPath(p, s.opts.showHidden)
	if !ok {
		notFound(w, r)
		return
	}
	if s.single != "" {
		if rel != "." && rel != s.single {
			notFound(w, r)
			return
		}
		rel, slash = s.single, false
	}
	if s.cache != nil && !slash && readMethod(r.Method) {
		if data, fi, ok := s.cache.lookup(rel, s.root.Stat); ok {
			s.serveFile(w, r, nil, data, fi, rel)
			return
		}
	}
	mount := strings.TrimSuffix(r.URL.Path, p)
	f, err := s.root.Open(rel)
	if err != nil && s.opts.cgiExts != nil && errors.Is(err, syscall.ENOTDIR) {
		if s.serveCGIPrefix(w, r, mount, rel) {
			return
		}
	}
	if err != nil && errors.Is(err, fs.ErrNotExist) {
		if alt := s.withIgnoredExt(rel); alt != "" {
			rel = alt
			f, err = s.root.Open(rel)
		}
	}
	if err != nil {
		s.openError(w, r, rel, err)
		return
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		s.openError(w, r, rel, err)
		return
	}
	switch {
	case fi.IsDir():
		if !slash {
			if !readMethod(r.Method) {
				methodNotAllowed(w, r)
				return
			}
			redirectSlash(w, r)
			return
		}
		s.serveDir(w, r, f, mount, rel)
	case fi.Mode().IsRegular() && !slash:
		s.serveRegular(w, r, f, fi, mount, rel)
	default: // FIFOs, sockets, devices; a file asked for as a directory
		notFound(w, r)
	}
}

func readMethod(m string) bool { return m == http.MethodGet || m == http.MethodHead }

// serveRegular answers with a regular file: as a CGI program when its
// extension has a processor, else as static content (GET and HEAD only).
func (s *site) serveRegular(w http.ResponseWriter, r *http.Request, f *os.File, fi fs.FileInfo, mount, rel string) {
	if s.isCGI(rel) {
		s.serveCGI(w, r, fi, mount, rel, "")
		return
	}
	if !readMethod(r.Method) {
		methodNotAllowed(w, r)
		return
	}
	s.serveFile(w, r, f, nil, fi, rel)
}

// serveDir answers a directory asked for with its trailing slash: its
// first index file, else a listing (or 403 under --no-list).
func (s *site) serveDir(w http.ResponseWriter, r *http.Request, dir *os.File, mount, rel string) {
	for _, name := range s.opts.indexes {
		idx := joinRel(rel, name)
		f, err := s.root.Open(idx)
		if err != nil {
			continue
		}
		fi, err := f.Stat()
		if err == nil && fi.Mode().IsRegular() {
			s.serveRegular(w, r, f, fi, mount, idx)
			f.Close()
			return
		}
		f.Close()
	}
	if !readMethod(r.Method) {
		methodNotAllowed(w, r)
		return
	}
	if !s.opts.list {
		forbidden(w, r)
		return
	}
	s.serveListing(w, r, dir, rel)
}

func joinRel(dir, name string) string {
	if dir == "." {
		return name
	}
	return dir + "/" + name
}

// withIgnoredExt finds the file that /foo stands for under --ignore-ext
// (foo + each extension, in order) and --allow-ignore-ext (the first
// foo.* in byte order). It returns "" when there is none.
func (s *site) withIgnoredExt(rel string) string {
	if rel == "." || (len(s.opts.ignoreExts) == 0 && !s.opts.allowIgnoreExt) {
		return ""
	}
	for _, ext := range s.opts.ignoreExts {
		if fi, err := s.root.Stat(rel + ext); err == nil && fi.Mode().IsRegular() {
			return rel + ext
		}
	}
	if !s.opts.allowIgnoreExt {
		return ""
	}
	dir, base := parentAndBase(rel)
	d, err := s.root.Open(dir)
	if err != nil {
		return ""
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return ""
	}
	slices.Sort(names)
	for _, n := range names {
		if strings.HasPrefix(n, base+".") && !hiddenName(n, s.opts.showHidden) {
			if fi, err := s.root.Stat(joinRel(dir, n)); err == nil && fi.Mode().IsRegular() {
				return joinRel(dir, n)
			}
		}
	}
	return ""
}

// openError answers a failed open: 403 when the server may not read it,
// 503 when it is out of file descriptors, 404 for everything else (a
// missing file, a symbolic link leaving the root, a name too long), so
// that nothing about the tree outside the root shows.
func (s *site) openError(w http.ResponseWriter, r *http.Request, rel string, err error) {
	switch {
	case errors.Is(err, fs.ErrPermission):
		forbidden(w, r)
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		s.log.Warn(fmt.Sprintf("cannot open %s: %v", rel, err))
		w.Header().Set("Retry-After", "1")
		errorPage(w, r, http.StatusServiceUnavailable, "Service Unavailable", "The server is busy; try again.")
	default:
		if !errors.Is(err, fs.ErrNotExist) {
			s.log.Debug(fmt.Sprintf("refused %s: %v", rel, err))
		}
		notFound(w, r)
	}
}
