package mail

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gotwistd/gotwistd/endpoint"
	"github.com/gotwistd/gotwistd/service"
)

// pop3Server serves POP3 (RFC 1939, CAPA of RFC 2449, STLS of RFC 2595)
// on one endpoint: a goroutine per connection.
type pop3Server struct {
	m *mailer
	t *tracker

	mu       sync.Mutex
	l        net.Listener
	wg       sync.WaitGroup
	shutdown bool
}

func newPOP3Server(m *mailer, ep endpoint.Endpoint) (*pop3Server, endpoint.Endpoint) {
	s := &pop3Server{m: m, t: newTracker()}
	s.t.limits = newConnLimits(m.c.maxConns, m.c.maxConnsPerIP,
		"-ERR [SYS/TEMP] Too many connections, try again later\r\n", m.log)
	return s, track(ep, s.t)
}

// Serve accepts connections until Shutdown or a listener error.
func (s *pop3Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.shutdown {
		s.mu.Unlock()
		return nil
	}
	s.l = l
	s.mu.Unlock()
	for {
		c, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			done := s.shutdown
			s.mu.Unlock()
			if done || errors.Is(err, net.ErrClosed) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			newPOP3Session(s.m, c).serve()
		}()
	}
}

// Shutdown stops accepting, ends idle sessions (their deletions are not
// applied: only QUIT applies them), lets a QUIT in progress finish, and
// closes what is left when ctx ends.
func (s *pop3Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.shutdown = true
	if s.l != nil {
		s.l.Close()
	}
	s.mu.Unlock()
	s.t.closeIdle()
	if err := service.Wait(ctx, &s.wg); err != nil {
		s.t.closeAll()
		s.wg.Wait()
		return err
	}
	return nil
}

// pop3State is where a session is in RFC 1939's terms.
type pop3State int

const (
	stateAuth pop3State = iota
	stateTrans
)

type pop3Session struct {
	m       *mailer
	conn    net.Conn
	tracked *trackedConn
	r       *bufio.Reader
	w       *bufio.Writer
	banner  string // APOP timestamp, <...>

	state    pop3State
	user     string // from USER
	failures int
	acct     *account
	mb       *popMailbox
}

func newPOP3Session(m *mailer, c net.Conn) *pop3Session {
	s := &pop3Session{m: m, conn: c, tracked: trackedOf(c)}
	s.r = bufio.NewReaderSize(c, 1024)
	s.w = bufio.NewWriterSize(c, 8192)
	s.banner = fmt.Sprintf("<%d.%d@%s>", pid, time.Now().UnixNano(), m.c.hostname)
	return s
}

func (s *pop3Session) isTLS() bool {
	_, ok := s.conn.(*tls.Conn)
	return ok
}

// plainAllowed says whether USER/PASS may be used: always over TLS, and
// without TLS only when no TLS is configured or --allow-insecure-auth.
func (s *pop3Session) plainAllowed() bool {
	return s.isTLS() || s.m.c.tls == nil || s.m.c.insecureAuth
}

func (s *pop3Session) serve() {
	defer func() {
		if s.acct != nil {
			s.m.unlockMailbox(s.acct)
		}
		s.conn.Close()
	}()
	if tc, ok := s.conn.(*tls.Conn); ok {
		s.conn.SetDeadline(time.Now().Add(s.m.c.pop3Timeout))
		if err := tc.Handshake(); err != nil {
			return
		}
	}
	s.reply("+OK gotwistd POP3 server ready " + s.banner)
	for {
		if s.r.Buffered() == 0 && s.w.Flush() != nil {
			return
		}
		s.conn.SetDeadline(time.Now().Add(s.m.c.pop3Timeout))
		line, err := s.readLine()
		if err != nil {
			if errors.Is(err, errPOP3Arg) {
				s.reply("-ERR line too long")
				s.w.Flush()
			}
			return
		}
		cmd, err := parsePOP3(line)
		if err != nil {
			s.reply("-ERR " + err.Error())
			continue
		}
		if !s.dispatch(cmd) {
			s.w.Flush()
			return
		}
	}
}

// readLine reads one line of at most pop3MaxLine octets, without CRLF.
func (s *pop3Session) readLine() (string, error) {
	var line []byte
	for {
		chunk, err := s.r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > pop3MaxLine+2 {
			return "", errPOP3Arg
		}
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return "", err
		}
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

func (s *pop3Session) reply(line string) {
	s.w.WriteString(line)
	s.w.WriteString("\r\n")
}

// dispatch runs one command; false ends the session.
func (s *pop3Session) dispatch(c pop3Cmd) bool {
	switch c.name {
	case "CAPA":
		s.capa()
		return true
	case "QUIT":
		return s.quit()
	case "NOOP":
		if s.state == stateTrans {
			s.reply("+OK")
			return true
		}
	}
	if s.state == stateAuth {
		return s.authCommand(c)
	}
	s.transCommand(c)
	return true
}

func (s *pop3Session) capa() {
	s.reply("+OK capability list follows")
	for _, c := range []string{"TOP", "UIDL", "RESP-CODES", "AUTH-RESP-CODE", "PIPELINING", "EXPIRE NEVER", "IMPLEMENTATION gotwistd"} {
		s.reply(c)
	}
	if s.state == stateAuth && s.plainAllowed() {
		s.reply("USER")
		s.reply("SASL " + strings.Join(saslMechanisms, " "))
	}
	if s.state == stateAuth && s.m.c.tls != nil && !s.isTLS() {
		s.reply("STLS")
	}
	s.reply(".")
}

func (s *pop3Session) quit() bool {
	if s.state != stateTrans {
		s.reply("+OK bye")
		return false
	}
	s.tracked.setBusy(true)
	err := s.mb.commit()
	s.tracked.setBusy(false)
	// Free the mailbox before the reply, so a client that logs in again
	// right after "+OK bye" finds it free.
	s.m.unlockMailbox(s.acct)
	s.acct = nil
	if err != nil {
		s.m.log.Error(fmt.Sprintf("pop3: applying QUIT: %v", err))
		s.reply("-ERR [SYS/TEMP] some deleted messages were not removed")
		return false
	}
	n, _ := s.mb.stat()
	s.reply(fmt.Sprintf("+OK bye (%d messages left)", n))
	return false
}

func (s *pop3Session) authCommand(c pop3Cmd) bool {
	switch c.name {
	case "USER":
		if !s.plainAllowed() {
			s.reply("-ERR [AUTH] plain-text login needs TLS: use STLS first")
			return true
		}
		if len(c.args) != 1 {
			s.reply("-ERR usage: USER name")
			return true
		}
		s.user = c.args[0]
		s.reply("+OK send PASS")
	case "PASS":
		if s.user == "" || len(c.args) != 1 {
			s.reply("-ERR USER first, then PASS password")
			return true
		}
		user := s.user
		s.user = ""
		acct := s.m.domains.login(user)
		return s.login(acct, acct != nil && s.m.authenticate(user, c.args[0]), user)
	case "APOP":
		if len(c.args) != 2 {
			s.reply("-ERR usage: APOP name digest")
			return true
		}
		acct := s.m.domains.login(c.args[0])
		return s.login(acct, acct != nil && s.apopOK(acct, c.args[1]), c.args[0])
	case "AUTH":
		return s.auth(c)
	case "STLS":
		return s.stls()
	default:
		s.reply("-ERR " + c.name + " not allowed before login")
	}
	return true
}

func (s *pop3Session) apopOK(a *account, digest string) bool {
	pw, ok := a.secret.cleartext()
	if !ok {
		return false
	}
	sum := md5.Sum([]byte(s.banner + pw))
	want := hex.EncodeToString(sum[:])
	return subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(digest))) == 1
}

// maxPOP3Failures is how many failed logins a connection gets.
const maxPOP3Failures = 3

func (s *pop3Session) login(acct *account, ok bool, name string) bool {
	if !ok {
		s.failures++
		s.m.log.Warn(fmt.Sprintf("pop3: failed login for %q from %s", name, s.conn.RemoteAddr()))
		s.reply("-ERR [AUTH] authentication failed")
		return s.failures < maxPOP3Failures
	}
	if !s.m.lockMailbox(acct) {
		s.reply("-ERR [IN-USE] mailbox in use by another session")
		return true
	}
	mb, err := openPopMailbox(acct.box)
	if err != nil {
		s.m.unlockMailbox(acct)
		s.m.log.Error(fmt.Sprintf("pop3: %s: %v", acct.address(), err))
		s.reply("-ERR [SYS/TEMP] cannot open the mailbox")
		return true
	}
	s.acct, s.mb, s.state = acct, mb, stateTrans
	n, size := mb.stat()
	s.reply(fmt.Sprintf("+OK %s has %d messages (%d octets)", acct.address(), n, size))
	return true
}

func (s *pop3Session) stls() bool {
	if s.m.c.tls == nil || s.isTLS() {
		s.reply("-ERR STLS not available")
		return true
	}
	s.reply("+OK begin TLS negotiation")
	if s.w.Flush() != nil {
		return false
	}
	tc := tls.Server(s.conn, s.m.c.tls.Config())
	if err := tc.Handshake(); err != nil {
		return false
	}
	// Anything the client sent before the handshake is discarded (RFC
	// 2595 section 4 forbids pipelining past STLS).
	s.conn = tc
	s.r.Reset(tc)
	s.w.Reset(tc)
	s.user = ""
	return true
}

func (s *pop3Session) transCommand(c pop3Cmd) {
	switch c.name {
	case "STAT":
		n, size := s.mb.stat()
		s.reply(fmt.Sprintf("+OK %d %d", n, size))
	case "LIST", "UIDL":
		s.listing(c)
	case "RETR", "TOP":
		s.retrieve(c)
	case "DELE":
		m, ok := s.message(c.args, 1)
		if ok {
			m.deleted = true
			s.reply("+OK message deleted")
		}
	case "RSET":
		s.mb.reset()
		n, size := s.mb.stat()
		s.reply(fmt.Sprintf("+OK %d messages (%d octets)", n, size))
	default:
		s.reply("-ERR unknown command " + c.name)
	}
}

// message finds the message named by args[0], checking that exactly want
// arguments were given; it replies with the error itself.
func (s *pop3Session) message(args []string, want int) (*popMessage, bool) {
	if len(args) != want {
		s.reply("-ERR wrong number of arguments")
		return nil, false
	}
	n, ok := parseMsgNum(args[0])
	if !ok {
		s.reply("-ERR invalid message number")
		return nil, false
	}
	m, ok := s.mb.get(n)
	if !ok {
		s.reply("-ERR no such message")
	}
	return m, ok
}

func (s *pop3Session) listing(c pop3Cmd) {
	field := func(m *popMessage) string {
		if c.name == "UIDL" {
			return m.uid
		}
		return strconv.Itoa(m.size)
	}
	if len(c.args) > 0 {
		m, ok := s.message(c.args, 1)
		if ok {
			s.reply("+OK " + c.args[0] + " " + field(m))
		}
		return
	}
	s.reply("+OK")
	for i, m := range s.mb.msgs {
		if !m.deleted {
			s.reply(strconv.Itoa(i+1) + " " + field(m))
		}
	}
	s.reply(".")
}

func (s *pop3Session) retrieve(c pop3Cmd) {
	lines := -1
	want := 1
	if c.name == "TOP" {
		want = 2
		if len(c.args) == 2 {
			n, err := strconv.Atoi(c.args[1])
			if err != nil || n < 0 {
				s.reply("-ERR invalid line count")
				return
			}
			lines = n
		}
	}
	m, ok := s.message(c.args, want)
	if !ok {
		return
	}
	data, err := s.mb.read(m)
	if err != nil {
		s.reply("-ERR [SYS/TEMP] message no longer available")
		return
	}
	if c.name == "RETR" {
		m.seen = true
		s.reply(fmt.Sprintf("+OK %d octets", m.size))
	} else {
		s.reply("+OK top of message follows")
	}
	writeDotStuffed(s.w, data, lines)
}
