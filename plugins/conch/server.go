package conch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/gotwistd/gotwistd/service"
)

// server accepts SSH connections on one listener. It is a
// service.StreamServer: Serve until the listener closes; Shutdown hangs up
// every connection (their processes get SIGHUP, as on a lost terminal) and
// waits for them until its context ends, then kills what is left.
type server struct {
	cfg  *config
	log  *slog.Logger
	auth *authenticator
	ssh  *ssh.ServerConfig // set by setHostKeys before Serve

	// startups holds a token per connection not yet authenticated
	// (--max-startups).
	startups chan struct{}

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	procs  map[int]struct{} // process groups of running sessions
	closed bool
	wg     sync.WaitGroup
}

var _ service.StreamServer = (*server)(nil)

func newServer(cfg *config, auth *authenticator, log *slog.Logger) *server {
	return &server{
		cfg:      cfg,
		log:      log,
		auth:     auth,
		startups: make(chan struct{}, cfg.maxStartups),
		conns:    map[net.Conn]struct{}{},
		procs:    map[int]struct{}{},
	}
}

// setHostKeys builds the ssh configuration around the host keys.
func (s *server) setHostKeys(keys []hostKey) error {
	kex, ciphers, macs, pubkey := algorithms(s.cfg.legacy)
	conf := &ssh.ServerConfig{
		Config:                  ssh.Config{KeyExchanges: kex, Ciphers: ciphers, MACs: macs},
		PublicKeyAuthAlgorithms: pubkey,
		MaxAuthTries:            s.cfg.maxAuthTries,
		ServerVersion:           "SSH-2.0-gotwistd",
	}
	if s.cfg.auth.passwords() {
		conf.PasswordCallback = s.auth.password
	}
	if s.cfg.auth.sshkey {
		conf.PublicKeyCallback = s.auth.publicKey
	}
	for _, k := range keys {
		signer, err := hostSigner(k.signer, s.cfg.legacy)
		if err != nil {
			return fmt.Errorf("host key %s: %w", k.path, err)
		}
		conf.AddHostKey(signer)
	}
	s.ssh = conf
	return nil
}

// Serve accepts connections until l is closed.
func (s *server) Serve(l net.Listener) error {
	for {
		c, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				s.log.Warn("accept: " + err.Error())
				continue
			}
			return err
		}
		select {
		case s.startups <- struct{}{}:
		default:
			s.log.Warn(fmt.Sprintf("dropped connection from %s: %d connections are already logging in (--max-startups)", c.RemoteAddr(), s.cfg.maxStartups))
			c.Close()
			continue
		}
		if !s.track(c) {
			<-s.startups
			c.Close()
			continue
		}
		go s.handle(c)
	}
}

// track records c; false once Shutdown has begun.
func (s *server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.wg.Add(1)
	s.conns[c] = struct{}{}
	return true
}

func (s *server) untrack(c net.Conn) {
	c.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.wg.Done()
}

// handle runs one connection: the handshake and login under the grace
// time, then its channels until the client or Shutdown ends it.
func (s *server) handle(c net.Conn) {
	defer s.untrack(c)
	pending := true
	release := func() {
		if pending {
			pending = false
			<-s.startups
		}
	}
	defer release()
	if s.cfg.graceTime > 0 {
		_ = c.SetDeadline(time.Now().Add(s.cfg.graceTime))
	}
	sc, chans, reqs, err := ssh.NewServerConn(c, s.ssh)
	if err != nil {
		c.Close()
		release()
		s.handshakeFailed(c, err)
		return
	}
	_ = c.SetDeadline(time.Time{})
	release()
	lg := loginOf(sc.Permissions)
	if lg == nil { // cannot happen: every callback sets it
		sc.Close()
		return
	}
	desc := ""
	if lg.detail != "" {
		desc = ": " + lg.detail
	}
	s.log.Info(fmt.Sprintf("accepted %s for %s %s%s", lg.method, lg.acct.Name, from(sc), desc))
	conn := &sshConn{srv: s, sc: sc, login: lg, forwards: map[string]net.Listener{}}
	conn.serve(chans, reqs)
	s.log.Info(fmt.Sprintf("connection of %s %s closed", lg.acct.Name, from(sc)))
}

// handshakeFailed logs why a connection ended before login.
func (s *server) handshakeFailed(c net.Conn, err error) {
	addr := c.RemoteAddr().String()
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		s.log.Warn(fmt.Sprintf("connection from %s not logged in after %s (--login-grace-time): closed", addr, s.cfg.graceTime))
	case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), errors.Is(err, syscall.ECONNRESET):
		s.log.Debug(fmt.Sprintf("connection from %s closed before login", addr))
	default:
		s.log.Warn(fmt.Sprintf("connection from %s closed before login: %v", addr, err))
	}
}

// trackProc and untrackProc keep the process groups Shutdown may kill.
func (s *server) trackProc(pgid int) {
	s.mu.Lock()
	s.procs[pgid] = struct{}{}
	s.mu.Unlock()
}

func (s *server) untrackProc(pgid int) {
	s.mu.Lock()
	delete(s.procs, pgid)
	s.mu.Unlock()
}

// Shutdown closes every connection, then waits for sessions to end until
// ctx ends; processes still running then are killed.
func (s *server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closed = true
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	if service.Wait(ctx, &s.wg) == nil {
		return nil
	}
	s.mu.Lock()
	for pgid := range s.procs {
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
	}
	s.mu.Unlock()
	return ctx.Err()
}
