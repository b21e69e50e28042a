package conch

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/sys/unix"
)

// ptyDrain is how long output of a finished pty session is still read
// when background processes keep the terminal open (sshd closes at once).
const ptyDrain = 200 * time.Millisecond

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

// run starts cmd on the pty or on pipes, and in the background copies its
// output, waits for it, sends its exit status and closes the channel.
func (s *session) run(cmd *exec.Cmd) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return false
	}
	err := s.startCmd(cmd)
	if err != nil && cmd.Dir != "/" {
		// Most likely the account cannot enter its home directory (the
		// child changes directory after switching uid). sshd says so and
		// starts in / instead; so do we.
		msg := fmt.Sprintf("Could not chdir to home directory %s: %v\r\n", cmd.Dir, errors.Unwrap(err))
		retry := &exec.Cmd{Path: cmd.Path, Args: cmd.Args, Env: cmd.Env, Dir: "/"}
		attr := *cmd.SysProcAttr
		retry.SysProcAttr = &attr
		if err2 := s.startCmd(retry); err2 == nil {
			cmd, err = retry, nil
			if s.ptmx == nil {
				_, _ = s.ch.Stderr().Write([]byte(msg))
			}
		}
	}
	if err != nil {
		s.c.srv.log.Warn(fmt.Sprintf("session of %s: starting %s: %v", s.c.login.acct.Name, cmd.Path, err))
		return false
	}
	s.started = true
	s.pgid = cmd.Process.Pid
	s.c.srv.trackProc(s.pgid)
	return true
}

func (s *session) startCmd(cmd *exec.Cmd) error {
	if s.ptmx != nil {
		return s.startPTY(cmd)
	}
	return s.startPiped(cmd)
}

func (s *session) startPiped(cmd *exec.Cmd) error {
	stdinR, stdin, err := os.Pipe()
	if err != nil {
		return err
	}
	cmd.Stdin = stdinR
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	err = cmd.Start()
	stdinR.Close()
	if err != nil {
		stdin.Close()
		return err
	}
	s.finished = make(chan struct{})
	go func() {
		setPipeSize(stdin)
		_, _ = io.CopyBuffer(stdin, s.ch, make([]byte, outputBuffer))
		stdin.Close()
	}()
	go func() {
		var out sync.WaitGroup
		out.Add(2)
		go func() { defer out.Done(); copyOut(s.ch, stdout) }()
		go func() { defer out.Done(); copyOut(s.ch.Stderr(), stderr) }()
		out.Wait()
		s.exited(cmd.Wait())
	}()
	return nil
}

// outputBuffer is the copy size between a session's pipes and its
// channel, and outputPipeSize the pipes' capacity: bulk data (sftp through
// the child) then crosses in fewer, larger steps.
const (
	outputBuffer   = 256 << 10
	outputPipeSize = 1 << 20
)

// copyOut copies a process's output pipe to the channel.
func copyOut(w io.Writer, r io.Reader) {
	if f, ok := r.(*os.File); ok {
		setPipeSize(f)
	}
	buf := make([]byte, outputBuffer)
	_, _ = io.CopyBuffer(w, struct{ io.Reader }{r}, buf)
}

// setPipeSize grows a pipe to outputPipeSize; failure only costs speed.
func setPipeSize(f *os.File) {
	_ = control(f, func(fd int) error {
		_, err := unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, outputPipeSize)
		return err
	})
}

func (s *session) startPTY(cmd *exec.Cmd) error {
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s.tty, s.tty, s.tty
	cmd.SysProcAttr.Setctty = true
	cmd.SysProcAttr.Ctty = 0
	if err := cmd.Start(); err != nil {
		return err
	}
	s.tty.Close()
	s.tty = nil
	ptmx := s.ptmx
	s.finished = make(chan struct{})
	go func() { _, _ = io.Copy(ptmx, s.ch) }()
	go func() {
		read := make(chan struct{})
		go func() { defer close(read); _, _ = io.Copy(s.ch, ptmx) }()
		err := cmd.Wait()
		// The terminal reads EIO once no process holds it; background
		// processes may, so stop reading a little after the shell ends.
		_ = ptmx.SetReadDeadline(time.Now().Add(ptyDrain))
		<-read
		s.exited(err)
		ptmx.Close()
	}()
	return nil
}

// exited reports the process's end to the client (exit-status, or
// exit-signal for a killed process) and closes the channel.
func (s *session) exited(err error) {
	s.mu.Lock()
	pgid := s.pgid
	s.pgid = 0
	s.mu.Unlock()
	s.c.srv.untrackProc(pgid)
	<-s.replied
	_ = s.ch.CloseWrite()
	sendExit(s.ch, err)
	s.ch.Close()
	close(s.finished)
}

func sendExit(ch ssh.Channel, err error) {
	var ee *exec.ExitError
	switch {
	case err == nil:
		_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(exitStatus{0}))
	case errors.As(err, &ee):
		ws, ok := ee.Sys().(syscall.WaitStatus)
		if ok && ws.Signaled() {
			_, _ = ch.SendRequest("exit-signal", false, ssh.Marshal(exitSignal{Signal: signalName(ws.Signal()), CoreDumped: ws.CoreDump()}))
			return
		}
		_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(exitStatus{uint32(ee.ExitCode())}))
	default:
		_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(exitStatus{255}))
	}
}
