package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

type smtpBackend struct{ m *mailer }

// NewSession starts a session after HELO/EHLO (again after STARTTLS).
func (b *smtpBackend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	return &session{m: b.m, conn: c, tracked: trackedOf(c.Conn())}, nil
}

// session is one SMTP conversation: at most one transaction at a time.
type session struct {
	m       *mailer
	conn    *smtp.Conn
	tracked *trackedConn
	user    string // authenticated name, "" if none

	from    string
	rcpts   []string
	targets []target
	seen    map[string]bool
}

var (
	errAuthFirst = &smtp.SMTPError{Code: 530, EnhancedCode: smtp.EnhancedCode{5, 7, 0}, Message: "Authentication required"}
	errTooBig    = &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 3, 4}, Message: "Message too big"}
	errBadAddr   = &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 1, 3}, Message: "Malformed address"}
)

func (s *session) Mail(from string, opts *smtp.MailOptions) error {
	if s.m.c.disableAnon && s.user == "" {
		return errAuthFirst
	}
	if opts != nil && opts.Size > s.m.c.maxSize {
		return errTooBig
	}
	if strings.ContainsAny(from, " \t\r\n") {
		return errBadAddr
	}
	s.tracked.setBusy(true)
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if to == "" || strings.ContainsAny(to, " \t\r\n") {
		return errBadAddr
	}
	var targets []target
	if s.m.isLocal(to) {
		var err error
		if targets, err = s.m.resolve(to); err != nil {
			return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: fmt.Sprintf("<%s>: %v", to, err)}
		}
	} else {
		if err := s.mayRelay(to); err != nil {
			return err
		}
		_, dom := s.m.splitAddress(to)
		if !strings.Contains(to, "@") || dom == "" {
			return errBadAddr
		}
		targets = []target{{kind: targetAddress, addr: to}}
	}
	if s.seen == nil {
		s.seen = map[string]bool{}
	}
	for _, t := range targets {
		if k := t.key(); !s.seen[k] {
			s.seen[k] = true
			s.targets = append(s.targets, t)
		}
	}
	s.rcpts = append(s.rcpts, to)
	return nil
}

// mayRelay allows mail for another domain only from an authenticated
// client or one in --relay-from (or on a unix socket, as twistd), and only
// when -R gives a queue to keep it in.
func (s *session) mayRelay(to string) error {
	denied := &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: fmt.Sprintf("<%s>: relaying denied", to)}
	if s.user == "" && !s.fromRelayNet() {
		return denied
	}
	if s.m.queue == nil {
		denied.Message = fmt.Sprintf("<%s>: relaying is not configured here (no --relay queue)", to)
		return denied
	}
	return nil
}

func (s *session) fromRelayNet() bool {
	c := s.conn.Conn()
	if _, unix := c.RemoteAddr().(*net.UnixAddr); unix {
		return true
	}
	ip, ok := peerIP(c)
	if !ok {
		return false
	}
	for _, p := range s.m.c.relayFrom {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// Data reads the message and stores it for every recipient; the 250 is
// sent only after it returns nil, when every copy is on disk.
func (s *session) Data(r io.Reader) error {
	raw := bufPool.Get().(*bytes.Buffer)
	defer putBuf(raw)
	raw.Reset()
	if _, err := raw.ReadFrom(r); err != nil {
		return err // go-smtp turns ErrDataTooLarge into 552
	}
	if hops := countReceived(raw.Bytes()); hops >= maxHops {
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 4, 6}, Message: fmt.Sprintf("Mail loop: %d Received: headers", hops)}
	}
	out := bufPool.Get().(*bytes.Buffer)
	defer putBuf(out)
	out.Reset()
	id := messageID()
	s.writeReceived(out, id)
	hdrCRLF := out.Len() + bytes.Count(out.Bytes(), []byte("\n"))
	out.Grow(raw.Len())
	msg, crlf := toLF(out.Bytes(), raw.Bytes())
	crlf += hdrCRLF
	err := s.m.deliver(context.Background(), s.from, s.targets, msg, crlf)
	if err != nil {
		s.m.log.Error(fmt.Sprintf("message %s from <%s> to %s: not accepted: %v", id, s.from, strings.Join(s.rcpts, ", "), err))
		if temporary(err) {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "Could not store the message; try again later"}
		}
		return &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 3, 0}, Message: "Delivery failed"}
	}
	s.m.log.Info(fmt.Sprintf("message %s from <%s> to %s: %d bytes accepted", id, s.from, strings.Join(s.rcpts, ", "), len(msg)))
	return nil
}

// maxHops is how many Received: headers a message may already carry; more
// means it is going round in circles (RFC 5321 6.3).
const maxHops = 50

// countReceived counts the Received: fields of the header section.
func countReceived(msg []byte) int {
	n := 0
	for line := range bytes.Lines(msg) {
		if len(bytes.TrimRight(line, "\r\n")) == 0 {
			break
		}
		if len(line) >= 9 && bytes.EqualFold(line[:9], []byte("received:")) {
			n++
		}
	}
	return n
}

func putBuf(b *bytes.Buffer) {
	if b.Cap() <= 1<<20 {
		bufPool.Put(b)
	}
}

// writeReceived writes the trace header (RFC 5321 4.4) with the protocol
// name of RFC 3848: ESMTP, plus S over TLS and A when authenticated.
func (s *session) writeReceived(w *bytes.Buffer, id string) {
	proto := "ESMTP"
	if _, tls := s.conn.TLSConnectionState(); tls {
		proto += "S"
	}
	if s.user != "" {
		proto += "A"
	}
	peer := s.conn.Conn().RemoteAddr().String()
	if h, _, err := net.SplitHostPort(peer); err == nil {
		peer = h
	}
	fmt.Fprintf(w, "Received: from %s ([%s])\n\tby %s (gotwistd) with %s id %s", sanitizeHeader(s.conn.Hostname()), peer, s.m.c.hostname, proto, id)
	if len(s.rcpts) == 1 {
		fmt.Fprintf(w, "\n\tfor <%s>", sanitizeHeader(s.rcpts[0]))
	}
	fmt.Fprintf(w, "; %s\n", time.Now().Format(time.RFC1123Z))
}

// sanitizeHeader keeps client-given text from breaking the header.
func sanitizeHeader(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

func (s *session) Reset() {
	s.from, s.rcpts, s.targets, s.seen = "", nil, nil, nil
	s.tracked.setBusy(false)
}

func (s *session) Logout() error {
	s.tracked.setBusy(false)
	return nil
}

// AuthMechanisms offers PLAIN and LOGIN when there is anyone to log in as;
// go-smtp offers them only over TLS unless --allow-insecure-auth.
func (s *session) AuthMechanisms() []string {
	if !s.m.haveCredentials() {
		return nil
	}
	return []string{sasl.Plain, sasl.Login}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	check := func(identity, user, pw string) error {
		if identity != "" && identity != user {
			return errors.New("authorization identity must be empty or the user")
		}
		if !s.m.authenticate(user, pw) {
			s.m.log.Warn(fmt.Sprintf("smtp: failed AUTH %s for %q from %s", mech, user, s.conn.Conn().RemoteAddr()))
			return smtp.ErrAuthFailed
		}
		s.user = user
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(check), nil
	case sasl.Login:
		return newLoginServer(func(user, pw string) error { return check("", user, pw) }), nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

var (
	_ smtp.Session     = (*session)(nil)
	_ smtp.AuthSession = (*session)(nil)
)
