package web

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"
)

// serverName is the Server header of every response but proxied ones.
const serverName = "gotwistd"

var connectionClose = []string{"close"}

// front is the handler of every endpoint: it adds the fixed headers, then
// hands the request to a proxied prefix, a user directory, a virtual host
// or the default site, in that order.
type front struct {
	fixed      http.Header // Server, X-Content-Type-Options, --add-header
	extra      http.Header // --add-header alone, for proxied responses
	hsts       []string    // nil: off
	proxies    []*proxyRoute
	users      *userDirs
	vhosts     []vhost
	def        http.Handler
	tracebacks bool
	log        *slog.Logger
}

type vhost struct {
	name string // "example.com", or "*.example.com"
	site *site
}

func newFront(c *config, def http.Handler, vhosts []vhost, users *userDirs, proxies []*proxyRoute, log *slog.Logger) *front {
	f := &front{
		fixed:      http.Header{},
		extra:      http.Header{},
		proxies:    proxies,
		users:      users,
		vhosts:     vhosts,
		def:        def,
		tracebacks: c.site.tracebacks,
		log:        log,
	}
	f.fixed.Set("Server", serverName)
	f.fixed.Set("X-Content-Type-Options", "nosniff")
	for _, h := range c.headers {
		f.fixed.Add(h.name, h.value)
		f.extra.Add(h.name, h.value)
	}
	for k, v := range f.fixed {
		f.fixed[k] = slices.Clip(v) // shared between responses: appends must copy
	}
	for k, v := range f.extra {
		f.extra[k] = slices.Clip(v)
	}
	if c.hsts > 0 {
		f.hsts = []string{"max-age=" + strconv.FormatInt(int64(c.hsts/time.Second), 10)}
	}
	return f
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer f.recover(w, r)
	h := w.Header()
	if len(r.TransferEncoding) > 0 && r.ProtoMajor == 1 {
		// net/http drops Content-Length when Transfer-Encoding is there,
		// so a request that had both cannot be told apart: close after
		// every chunked request, as RFC 9112 section 6.1 demands for them.
		h["Connection"] = connectionClose
	}
	if f.hsts != nil && r.TLS != nil {
		h["Strict-Transport-Security"] = f.hsts
	}
	if r.RequestURI == "*" {
		for k, v := range f.fixed {
			h[k] = v
		}
		if r.Method == http.MethodOptions {
			h.Set("Allow", allowedMethods)
			w.WriteHeader(http.StatusNoContent)
			return
		}
		errorPage(w, r, http.StatusBadRequest, "Bad Request", "The target * is only for OPTIONS.")
		return
	}
	for _, p := range f.proxies {
		if p.matches(r.URL.Path) {
			if _, _, ok := splitPath(r.URL.Path, true); !ok {
				for k, v := range f.extra {
					h[k] = v
				}
				notFound(w, r) // no dot segments: the backend might resolve them past the prefix
				return
			}
			p.rp.ServeHTTP(w, r)
			return
		}
	}
	for k, v := range f.fixed {
		h[k] = v
	}
	if f.users != nil && strings.HasPrefix(r.URL.Path, "/~") {
		f.users.serve(w, r)
		return
	}
	f.siteFor(r.Host).ServeHTTP(w, r)
}

// siteFor picks the virtual host whose name is the Host header (without
// port, any case), an exact name before a wildcard, else the default.
func (f *front) siteFor(host string) http.Handler {
	if len(f.vhosts) == 0 {
		return f.def
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	for _, v := range f.vhosts {
		if v.name == host {
			return v.site
		}
	}
	for _, v := range f.vhosts {
		if suffix, ok := strings.CutPrefix(v.name, "*."); ok && strings.HasSuffix(host, "."+suffix) {
			return v.site
		}
	}
	return f.def
}

// recover turns a handler panic into a 500 (with the stack under
// --display-tracebacks) when nothing was sent yet; net/http's own abort
// panic passes through.
func (f *front) recover(w http.ResponseWriter, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		panic(v)
	}
	stack := debug.Stack()
	f.log.Error(fmt.Sprintf("panic serving %s %s: %v\n%s", r.Method, r.URL.Path, v, stack))
	if rec, ok := w.(interface{ started() bool }); ok && rec.started() {
		panic(http.ErrAbortHandler) // too late for a status: cut the connection
	}
	detail := "The server failed to answer this request."
	if f.tracebacks {
		detail = fmt.Sprintf("%v\n\n%s", v, stack)
	}
	errorPage(w, r, http.StatusInternalServerError, "Internal Server Error", detail)
}

// redirectHTTPS answers plain-HTTP requests under --redirect-http with a
// redirect to the same host and path on the HTTPS port: 301 for GET and
// HEAD, 308 (keeping method and body) for the rest.
type redirectHTTPS struct {
	port  func() int
	fixed http.Header
}

func (rd *redirectHTTPS) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	for k, v := range rd.fixed {
		h[k] = v
	}
	host := r.Host
	if hp, _, err := net.SplitHostPort(host); err == nil {
		host = hp
	}
	if host == "" {
		errorPage(w, r, http.StatusBadRequest, "Bad Request", "A Host header is needed to redirect to HTTPS.")
		return
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if p := rd.port(); p != 443 {
		host += ":" + strconv.Itoa(p)
	}
	code := http.StatusMovedPermanently
	if !readMethod(r.Method) {
		code = http.StatusPermanentRedirect
	}
	loc := "https://" + host + r.URL.RequestURI()
	h.Set("Location", loc)
	errorPage(w, r, code, http.StatusText(code), "This site is served over HTTPS.")
}
