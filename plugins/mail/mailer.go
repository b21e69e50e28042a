package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/gotwistd/gotwistd/endpoint"
	"github.com/gotwistd/gotwistd/service"
)

// mailer is the state every endpoint of one mail service shares: the
// configuration, the domains and their mailboxes, the relay queue and the
// POP3 mailbox locks (twistd's MailService).
type mailer struct {
	c       *config
	log     *slog.Logger
	domains *domainTable
	queue   *queue // nil without -R

	mu     sync.Mutex
	locked map[*account]bool // mailboxes with a POP3 session
}

func newMailer(c *config, log *slog.Logger) *mailer {
	m := &mailer{c: c, log: log, domains: c.domains, locked: map[*account]bool{}}
	if c.queueDir != "" {
		m.queue = newQueue(m)
	}
	return m
}

// lockMailbox gives a POP3 session the mailbox to itself (RFC 1939: one
// session at a time); it reports false when another session has it.
func (m *mailer) lockMailbox(a *account) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.locked[a] {
		return false
	}
	m.locked[a] = true
	return true
}

func (m *mailer) unlockMailbox(a *account) {
	m.mu.Lock()
	delete(m.locked, a)
	m.mu.Unlock()
}

// authenticate checks a login name and password against the domain users
// (user@domain, or a bare user of exactly one domain) and then --auth.
func (m *mailer) authenticate(user, pw string) bool {
	if a := m.domains.login(user); a != nil && a.secret.check(pw) {
		return true
	}
	return m.c.auth.check(user, pw)
}

// haveCredentials reports whether any login could succeed, which decides
// whether SMTP offers AUTH at all.
func (m *mailer) haveCredentials() bool {
	return m.c.auth != nil || len(m.domains.accounts()) > 0
}

// storeService creates the Maildirs in Start, after privileges are
// dropped, so they belong to the user the server runs as.
type storeService struct{ m *mailer }

func (s *storeService) Name() string                          { return "store" }
func (s *storeService) PrivilegedStart(context.Context) error { return nil }

func (s *storeService) Start(context.Context) error {
	var errs []error
	for _, a := range s.m.domains.accounts() {
		if err := a.box.create(); err != nil {
			errs = append(errs, fmt.Errorf("maildir of %s: %w", a.address(), err))
		}
	}
	return errors.Join(errs...)
}

// Reload (SIGHUP) reads the aliases files and the TLS certificates again;
// --auth files are re-read whenever they change, without a signal.
func (s *storeService) Reload(context.Context) error {
	c := s.m.c
	errs := []error{s.m.domains.reloadAliases(c.queueDir != "")}
	if c.tls != nil {
		errs = append(errs, c.tls.Reload())
	}
	for _, ep := range append(append([]endpoint.Endpoint(nil), c.smtp...), c.pop3...) {
		if t, ok := ep.(*endpoint.TLS); ok && t != c.tls {
			errs = append(errs, t.Reload())
		}
	}
	err := errors.Join(errs...)
	if err == nil {
		s.m.log.Info("reloaded aliases and certificates")
	}
	return err
}

func (s *storeService) Stop(context.Context) error {
	for _, a := range s.m.domains.accounts() {
		a.box.close()
	}
	return nil
}

var (
	_ service.Service  = (*storeService)(nil)
	_ service.Reloader = (*storeService)(nil)
	_ service.Service  = (*queue)(nil)
)
