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
		copyWith(stdin, s.ch)
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

// copyBuffers recycles the copy buffers: a short command would otherwise
// allocate three of them per login.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, outputBuffer); return &b }}

// copyWith copies r to w through a pooled buffer (hiding WriterTo and
// ReaderFrom, which would pick their own small one).
func copyWith(w io.Writer, r io.Reader) {
	buf := copyBuffers.Get().(*[]byte)
	_, _ = io.CopyBuffer(struct{ io.Writer }{w}, struct{ io.Reader }{r}, *buf)
	copyBuffers.Put(buf)
}

// copyOut copies a process's output pipe to the channel.
func copyOut(w io.Writer, r io.Reader) {
	if f, ok := r.(*os.File); ok {
		setPipeSize(f)
	}
	copyWith(w, r)
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
