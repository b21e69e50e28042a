package conch

import (
	"os"
	"sync"
	"syscall"

	"golang.org/x/crypto/ssh"
)

// Request payloads of RFC 4254 section 6.
type (
	ptyRequest struct {
		Term                 string
		Columns, Rows, Width uint32
		Height               uint32
		Modes                string
	}
	windowChange  struct{ Columns, Rows, Width, Height uint32 }
	envRequest    struct{ Name, Value string }
	execRequest   struct{ Command string }
	subsysRequest struct{ Name string }
	signalRequest struct{ Signal string }
	exitStatus    struct{ Status uint32 }
	exitSignal    struct {
		Signal     string
		CoreDumped bool
		Error      string
		Lang       string
	}
)

// session is one "session" channel: at most one shell, command or
// subsystem, with an optional pty.
type session struct {
	c  *sshConn
	ch ssh.Channel

	mu       sync.Mutex
	env      []string // accepted client variables
	term     string
	ptmx     *os.File // pty master, nil without pty-req
	tty      *os.File // pty slave until the process starts
	started  bool
	pgid     int           // process group of the running process, 0 = none
	finished chan struct{} // closed when the process and its output are done
	// replied is closed once the shell, exec or subsystem request has
	// been answered: a process that ends at once must not have its exit
	// status and the channel's close overtake that answer (the client
	// would see the channel close instead of a reply).
	replied   chan struct{}
	replyOnce sync.Once
}

func (s *session) markReplied() { s.replyOnce.Do(func() { close(s.replied) }) }

// runSession answers the requests of a session channel until it closes,
// then hangs up what still runs in it.
func (c *sshConn) runSession(nc ssh.NewChannel) {
	ch, reqs, err := nc.Accept()
	if err != nil {
		return
	}
	s := &session{c: c, ch: ch, replied: make(chan struct{})}
	defer s.cleanup()
	for {
		select {
		case req, ok := <-reqs:
			if !ok {
				return
			}
			ok = s.handle(req)
			if req.WantReply {
				_ = req.Reply(ok, nil)
			}
			switch req.Type {
			case "shell", "exec", "subsystem":
				s.markReplied()
			}
		case <-c.done:
			return
		}
	}
}

// cleanup hangs up a running process (SIGHUP to its process group, as a
// terminal does), waits for it, and frees the pty.
func (s *session) cleanup() {
	s.markReplied()
	s.mu.Lock()
	pgid, finished := s.pgid, s.finished
	s.mu.Unlock()
	if pgid != 0 {
		_ = syscall.Kill(-pgid, syscall.SIGHUP)
	}
	s.ch.Close()
	if finished != nil {
		<-finished
	}
	s.mu.Lock()
	if s.tty != nil {
		s.tty.Close()
	}
	if s.ptmx != nil && !s.started {
		s.ptmx.Close()
	}
	s.mu.Unlock()
}

// handle answers one channel request and reports success.
func (s *session) handle(req *ssh.Request) bool {
	switch req.Type {
	case "env":
		var r envRequest
		if ssh.Unmarshal(req.Payload, &r) != nil || !envAllowed(s.c.srv.cfg.acceptEnv, r.Name) {
			return false
		}
		s.mu.Lock()
		s.env = append(s.env, r.Name+"="+r.Value)
		s.mu.Unlock()
		return true
	case "pty-req":
		var r ptyRequest
		if ssh.Unmarshal(req.Payload, &r) != nil {
			return false
		}
		return s.openPTY(r)
	case "window-change":
		var r windowChange
		if ssh.Unmarshal(req.Payload, &r) != nil {
			return false
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.ptmx == nil {
			return false
		}
		return setWinsize(s.ptmx, r.Columns, r.Rows, r.Width, r.Height) == nil
	case "shell":
		return s.start("", false)
	case "exec":
		var r execRequest
		if ssh.Unmarshal(req.Payload, &r) != nil {
			return false
		}
		return s.start(r.Command, true)
	case "subsystem":
		var r subsysRequest
		if ssh.Unmarshal(req.Payload, &r) != nil {
			return false
		}
		return s.subsystem(r.Name)
	case "signal":
		var r signalRequest
		if ssh.Unmarshal(req.Payload, &r) != nil {
			return false
		}
		sig, ok := signalByName(r.Signal)
		s.mu.Lock()
		pgid := s.pgid
		s.mu.Unlock()
		if !ok || pgid == 0 {
			return false
		}
		return syscall.Kill(-pgid, sig) == nil
	}
	return false // x11-req, auth-agent-req@openssh.com, break, ...
}

// openPTY allocates the terminal of a pty-req, owned by the account.
func (s *session) openPTY(r ptyRequest) bool {
	if s.c.login.opts.noPTY {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ptmx != nil || s.started {
		return false
	}
	ptmx, tty, err := openPTY()
	if err != nil {
		s.c.srv.log.Warn("allocating a pty: " + err.Error())
		return false
	}
	_ = setWinsize(ptmx, r.Columns, r.Rows, r.Width, r.Height)
	applyModes(tty, []byte(r.Modes))
	if os.Geteuid() == 0 {
		a := s.c.login.acct
		gid := ttyGroup(a.GID)
		if err := os.Chown(tty.Name(), int(a.UID), int(gid)); err == nil {
			_ = os.Chmod(tty.Name(), 0o620)
		}
	}
	s.ptmx, s.tty, s.term = ptmx, tty, r.Term
	return true
}

// start runs the shell (command "") or a command. A forced command from
// authorized_keys replaces either, with the client's in
// SSH_ORIGINAL_COMMAND.
func (s *session) start(command string, isExec bool) bool {
	var extra []string
	if forced := s.c.login.opts.command; forced != "" {
		if isExec {
			extra = append(extra, "SSH_ORIGINAL_COMMAND="+command)
		}
		command = forced
	}
	s.mu.Lock()
	env := append([]string(nil), s.env...)
	if s.ptmx != nil {
		extra = append(extra, "TERM="+s.term, "SSH_TTY="+s.tty.Name())
	}
	s.mu.Unlock()
	cmd := s.c.shellCommand(command, s.c.sessionEnv(env, extra...))
	return s.run(cmd)
}
