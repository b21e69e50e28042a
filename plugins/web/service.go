package web

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gotwistd/gotwistd/endpoint"
	"github.com/gotwistd/gotwistd/runner"
	"github.com/gotwistd/gotwistd/service"
)

// Make builds the web service from its command line: one service.Stream
// per endpoint under a service named "web". It reads the TLS and SNI
// files but opens no document root (that happens in Start, after any
// chroot) and binds nothing.
func Make(f runner.Flags, env runner.Env) (service.Service, error) {
	c, err := parseConfig(f)
	if err != nil {
		return nil, err
	}
	loadMIME()
	return newService(c, env)
}

// webService is the root of the tree: a Multi of one Stream per endpoint,
// plus what they share (document roots, access log, certificates).
type webService struct {
	*service.Multi
	log       *slog.Logger
	sites     []*site
	users     *userDirs
	certs     *certStore
	certCheck time.Duration
	alog      *accessLog
	transport *http.Transport
	streams   []*service.Stream
	servers   []*httpServer // one per stream, same order

	watchStop chan struct{}
	watchDone chan struct{}
	stopOnce  sync.Once
}

func newService(c *config, env runner.Env) (*webService, error) {
	log := env.Log()
	ws := &webService{Multi: service.NewMulti("web"), log: log, certCheck: c.certCheck}
	opts := &c.site

	var def http.Handler = demo{}
	if c.path != "" {
		s := newSite(c.path, opts, log)
		ws.sites = append(ws.sites, s)
		def = s
	}
	var vhosts []vhost
	for _, v := range c.vhosts {
		s := newSite(v.path, opts, log)
		ws.sites = append(ws.sites, s)
		vhosts = append(vhosts, vhost{name: v.name, site: s})
	}
	if c.userDirs {
		ws.users = newUserDirs(opts, log)
	}
	var proxies []*proxyRoute
	if len(c.proxies) > 0 {
		ws.transport = newProxyTransport()
	}
	fr := newFront(c, def, vhosts, ws.users, nil, log)
	for _, p := range c.proxies {
		proxies = append(proxies, newProxyRoute(p, ws.transport, fr.extra, log))
	}
	sortProxies(proxies)
	fr.proxies = proxies
	ws.alog = newAccessLog(c.accessLog, log)
	handler := ws.alog.wrap(fr)

	var tlsEPs []*endpoint.TLS
	for _, ep := range c.listens {
		if t, ok := ep.(*endpoint.TLS); ok {
			tlsEPs = append(tlsEPs, t)
		}
	}
	if len(tlsEPs) > 0 {
		cs, err := newCertStore(tlsEPs, c.sniDir)
		if err != nil {
			return nil, err
		}
		ws.certs = cs
	}
	var redirect http.Handler
	if c.redirect {
		redirect = ws.alog.wrap(&redirectHTTPS{port: ws.httpsPort(c.listens), fixed: fr.fixed})
	}
	for i, ep := range c.listens {
		hs := &httpServer{srv: &http.Server{
			Handler:                      handler,
			ReadHeaderTimeout:            c.limits.readHeader,
			IdleTimeout:                  c.limits.idle,
			MaxHeaderBytes:               c.limits.maxHeaderBytes,
			DisableGeneralOptionsHandler: true,
			ErrorLog:                     slog.NewLogLogger(log.Handler(), slog.LevelDebug),
		}, maxConns: c.limits.maxConns, writeTimeout: c.limits.write}
		listenOn := ep
		if t, ok := ep.(*endpoint.TLS); ok {
			hs.tls = ws.certs.config(t, c.http2)
			if !c.http2 {
				hs.srv.TLSNextProto = map[string]func(*http.Server, *tls.Conn, http.Handler){}
			}
			listenOn = plainPart{t} // TLS goes on above the connection guard
		} else if redirect != nil {
			hs.srv.Handler = redirect
		}
		st := env.Stream("web-"+strconv.Itoa(i), listenOn, hs)
		if err := ws.Add(st); err != nil {
			return nil, err
		}
		ws.streams = append(ws.streams, st)
		ws.servers = append(ws.servers, hs)
	}
	return ws, nil
}

// PrivilegedStart opens the access log file and binds every endpoint.
func (ws *webService) PrivilegedStart(ctx context.Context) error {
	if err := ws.alog.open(); err != nil {
		return fmt.Errorf("access log: %w", err)
	}
	return ws.Multi.PrivilegedStart(ctx)
}

// Start opens the document roots (after chroot and privilege drop, as the
// user that will read them), then serves, then watches certificate files.
func (ws *webService) Start(ctx context.Context) error {
	for _, s := range ws.sites {
		if err := s.open(); err != nil {
			return err
		}
	}
	ws.alog.start()
	if err := ws.Multi.Start(ctx); err != nil {
		return err
	}
	if ws.certs != nil && ws.certCheck > 0 {
		ws.watchStop, ws.watchDone = make(chan struct{}), make(chan struct{})
		go ws.watchCerts(ws.watchStop, ws.watchDone)
	}
	return nil
}

// Stop stops serving (letting requests in flight finish until ctx ends),
// then releases the roots, the proxy's idle connections and the log.
func (ws *webService) Stop(ctx context.Context) error {
	if ws.watchStop != nil {
		ws.stopOnce.Do(func() { close(ws.watchStop) })
		<-ws.watchDone
	}
	err := ws.Multi.Stop(ctx)
	for _, s := range ws.sites {
		s.close()
	}
	if ws.users != nil {
		ws.users.close()
	}
	if ws.transport != nil {
		ws.transport.CloseIdleConnections()
	}
	ws.alog.close()
	return err
}

// Reload (SIGHUP) re-reads every certificate and reopens the access log
// file; listeners and connections stay.
func (ws *webService) Reload(ctx context.Context) error {
	var errs []error
	if ws.certs != nil {
		if err := ws.certs.reload(); err != nil {
			errs = append(errs, err)
		} else {
			ws.log.Info("reloaded TLS certificates")
		}
	}
	if err := ws.alog.reopen(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func (ws *webService) watchCerts(stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(ws.certCheck)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			ws.checkCerts()
		}
	}
}

// checkCerts reloads the certificates when one of their files changed.
func (ws *webService) checkCerts() {
	if !ws.certs.changed() {
		return
	}
	if err := ws.certs.reload(); err != nil {
		ws.log.Error(fmt.Sprintf("certificate files changed, but reloading failed (the old certificates stay): %v", err))
		return
	}
	ws.log.Info("certificate files changed: reloaded TLS certificates")
}

// httpsPort returns a function giving the port of the first TLS endpoint,
// read from its listener when it was bound to port 0.
func (ws *webService) httpsPort(eps []endpoint.Endpoint) func() int {
	for i, ep := range eps {
		if t, ok := ep.(*endpoint.TLS); ok {
			return func() int {
				if t.Port != 0 || i >= len(ws.streams) {
					return t.Port
				}
				if a, ok := ws.streams[i].Addr().(*net.TCPAddr); ok {
					return a.Port
				}
				return t.Port
			}
		}
	}
	return func() int { return 443 }
}

// Addrs returns the bound address of each endpoint, in --listen order
// (nil before PrivilegedStart). Tests and embedding programs use it with
// port 0.
func (ws *webService) Addrs() []net.Addr {
	out := make([]net.Addr, len(ws.streams))
	for i, s := range ws.streams {
		out[i] = s.Addr()
	}
	return out
}

// httpServer is the service.StreamServer of one endpoint: it puts the
// connection guard (and TLS above it) on the bound listener, and closes
// whatever is left when a graceful shutdown runs out of time.
type httpServer struct {
	srv          *http.Server
	tls          *tls.Config // nil: plain
	maxConns     int
	writeTimeout time.Duration
}

func (h *httpServer) Serve(l net.Listener) error {
	l = guard(l, h.maxConns, h.writeTimeout)
	if h.tls != nil {
		l = tls.NewListener(l, h.tls)
	}
	return h.srv.Serve(l)
}

func (h *httpServer) Shutdown(ctx context.Context) error {
	err := h.srv.Shutdown(ctx)
	if err != nil {
		_ = h.srv.Close()
	}
	return err
}

// plainPart binds a TLS endpoint's TCP listener only; httpServer adds TLS
// with the server's own configuration (ALPN for HTTP/2, SNI).
type plainPart struct{ t *endpoint.TLS }

func (p plainPart) String() string { return p.t.String() }

func (p plainPart) Listen(ctx context.Context, env *endpoint.Env) (net.Listener, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var lc net.ListenConfig
	l, err := lc.Listen(ctx, p.t.Network(), p.t.Addr())
	if err != nil {
		return nil, fmt.Errorf("endpoint %q: %w", p.t.String(), err) // name the ssl: string the user wrote
	}
	return l, nil
}

var (
	_ service.Service      = (*webService)(nil)
	_ service.Reloader     = (*webService)(nil)
	_ service.StopBeginner = (*webService)(nil)
	_ service.StreamServer = (*httpServer)(nil)
	_ endpoint.Endpoint    = plainPart{}
)
