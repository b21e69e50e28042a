package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/emersion/go-smtp"

	"github.com/gotwistd/gotwistd/endpoint"
)

// smtpServer serves one SMTP endpoint with go-smtp. Its Shutdown ends idle
// connections at once (go-smtp's own would wait for them forever) and lets
// a transaction in progress finish, so a client never loses a message it
// was sending when the stop began: it gets its 250, or no reply and sends
// again later.
type smtpServer struct {
	m   *mailer
	srv *smtp.Server
	t   *tracker
}

func newSMTPServer(m *mailer, ep endpoint.Endpoint) (*smtpServer, endpoint.Endpoint) {
	s := &smtpServer{m: m, t: newTracker()}
	s.t.coalesce = true
	s.t.limits = newConnLimits(m.c.maxConns, m.c.maxConnsPerIP,
		fmt.Sprintf("421 4.7.0 %s Too many connections, try again later\r\n", m.c.hostname), m.log)
	srv := smtp.NewServer(&smtpBackend{m: m})
	c := m.c
	srv.Domain = c.hostname
	srv.MaxMessageBytes = c.maxSize
	srv.MaxRecipients = c.maxRcpts
	srv.MaxLineLength = c.maxLine
	srv.ReadTimeout = c.timeout
	srv.WriteTimeout = c.timeout
	srv.AllowInsecureAuth = c.insecureAuth
	srv.EnableSMTPUTF8 = true
	srv.ErrorLog = smtpLog{m.log}
	if c.tls != nil {
		srv.TLSConfig = c.tls.Config()
	}
	s.srv = srv
	return s, track(ep, s.t)
}

// Serve serves l until Shutdown.
func (s *smtpServer) Serve(l net.Listener) error {
	err := s.srv.Serve(l)
	if err == smtp.ErrServerClosed {
		return nil
	}
	return err
}

// Shutdown ends idle connections, waits for busy ones until ctx ends, and
// then closes whatever is left.
func (s *smtpServer) Shutdown(ctx context.Context) error {
	s.t.closeIdle()
	err := s.srv.Shutdown(ctx)
	if err != nil {
		s.t.closeAll()
		s.srv.Close()
	}
	if err == smtp.ErrServerClosed || errors.Is(err, net.ErrClosed) {
		return nil // the Stream closed the listener already
	}
	return err
}

// smtpLog sends go-smtp's messages to the service log: panics as errors,
// the rest (mostly clients that hang up) at debug level.
type smtpLog struct{ l *slog.Logger }

func (s smtpLog) Printf(format string, v ...any) { s.print(fmt.Sprintf(format, v...)) }
func (s smtpLog) Println(v ...any)               { s.print(strings.TrimSuffix(fmt.Sprintln(v...), "\n")) }

func (s smtpLog) print(msg string) {
	if strings.Contains(msg, "panic") {
		s.l.Error("smtp: " + msg)
		return
	}
	s.l.Debug("smtp: " + msg)
}
