package web

import (
	"log/slog"
	"net/http"
	"os/user"
	"path/filepath"
	"strings"
	"sync"
)

// userDirs serves /~NAME/ from NAME's ~/public_html (-u/--user, twistd's
// UserDirectory). Accounts are looked up at request time, after any
// privilege drop, so the server reads only what its own user may; roots
// that opened are kept, at most maxUserRoots of them.
type userDirs struct {
	opts *siteOptions
	log  *slog.Logger

	mu    sync.Mutex
	sites map[string]*site
}

const maxUserRoots = 256

// newUserDirs serves user directories without the small-file cache: with
// up to maxUserRoots roots, one cache each could hold too much.
func newUserDirs(opts *siteOptions, log *slog.Logger) *userDirs {
	o := *opts
	o.cacheBytes = 0
	return &userDirs{opts: &o, log: log, sites: map[string]*site{}}
}

// serve answers a request whose path starts with "/~".
func (u *userDirs) serve(w http.ResponseWriter, r *http.Request) {
	name, rest, slash := strings.Cut(r.URL.Path[2:], "/")
	if !validUserName(name) {
		notFound(w, r)
		return
	}
	s := u.site(name)
	if s == nil {
		notFound(w, r)
		return
	}
	if !slash {
		if !readMethod(r.Method) {
			methodNotAllowed(w, r)
			return
		}
		redirectSlash(w, r)
		return
	}
	s.serve(w, r, "/"+rest)
}

func validUserName(n string) bool {
	if n == "" || len(n) > 64 || n[0] == '-' || n[0] == '.' {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func (u *userDirs) site(name string) *site {
	u.mu.Lock()
	defer u.mu.Unlock()
	if s, ok := u.sites[name]; ok {
		return s
	}
	acct, err := user.Lookup(name)
	if err != nil || acct.HomeDir == "" || acct.HomeDir == "/" {
		return nil
	}
	s := newSite(filepath.Join(acct.HomeDir, "public_html"), u.opts, u.log)
	if err := s.open(); err != nil || s.single != "" {
		s.close()
		return nil
	}
	if len(u.sites) >= maxUserRoots {
		for k, old := range u.sites { // drop any one; a request still in it sees a 404
			old.close()
			delete(u.sites, k)
			break
		}
	}
	u.sites[name] = s
	return s
}

func (u *userDirs) close() {
	u.mu.Lock()
	defer u.mu.Unlock()
	for k, s := range u.sites {
		s.close()
		delete(u.sites, k)
	}
}
