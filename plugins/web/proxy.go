package web

import (
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"slices"
	"strings"
	"time"
)

// proxyRoute reverse-proxies one URL prefix (--proxy /api=http://b:9000):
// /api/x goes to http://b:9000/x (the prefix is cut, the target's path put
// in front, as Twisted's ReverseProxyResource does). X-Forwarded-For,
// -Host and -Proto are set; responses stream (flushed at once); websocket
// and other Upgrade requests pass through.
type proxyRoute struct {
	prefix string
	rp     *httputil.ReverseProxy
}

// newProxyTransport is shared by every route, so that Stop can close its
// idle connections.
func newProxyTransport() *http.Transport {
	return &http.Transport{
		Proxy:                 nil, // never via $HTTP_PROXY: the target is explicit
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          100,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

func newProxyRoute(spec proxySpec, tr http.RoundTripper, extra http.Header, log *slog.Logger) *proxyRoute {
	target := spec.target
	prefix := spec.prefix
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			rest := strings.TrimPrefix(pr.In.URL.Path, prefix)
			if prefix == "/" {
				rest = pr.In.URL.Path
			}
			pr.SetURL(target)
			pr.Out.URL.Path = joinURLPath(target.Path, rest)
			pr.Out.URL.RawPath = ""
			pr.SetXForwarded()
		},
		Transport:     tr,
		FlushInterval: -1,
		ErrorLog:      slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		ModifyResponse: func(resp *http.Response) error {
			for k, v := range extra {
				resp.Header[k] = v
			}
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			log.Warn("proxy " + r.URL.Path + " to " + target.String() + ": " + err.Error())
			for k, v := range extra {
				w.Header()[k] = v
			}
			errorPage(w, r, http.StatusBadGateway, "Bad Gateway", "The server behind this one did not answer.")
		},
	}
	return &proxyRoute{prefix: prefix, rp: rp}
}

// sortProxies puts longer prefixes first, so /api/v2 wins over /api.
func sortProxies(ps []*proxyRoute) {
	slices.SortStableFunc(ps, func(a, b *proxyRoute) int { return len(b.prefix) - len(a.prefix) })
}

// matches reports whether the URL path falls under the route's prefix,
// on a segment boundary (/api matches /api and /api/x, not /apix).
func (p *proxyRoute) matches(path string) bool {
	if p.prefix == "/" {
		return true
	}
	rest, ok := strings.CutPrefix(path, p.prefix)
	return ok && (rest == "" || rest[0] == '/')
}

func joinURLPath(base, rest string) string {
	if rest == "" {
		rest = "/"
	}
	switch {
	case base == "" || base == "/":
		return rest
	case strings.HasSuffix(base, "/"):
		return base + strings.TrimPrefix(rest, "/")
	}
	if rest == "/" {
		return base + "/"
	}
	return base + rest
}
