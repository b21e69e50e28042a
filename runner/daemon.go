package runner

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/sevlyar/go-daemon"
	"golang.org/x/sys/unix"
)

// readyLine is what the daemon writes to its parent once every port is
// bound and every service started. Anything else it writes before that is
// an error for the parent to show.
const readyLine = "\x1egotwistd-ready\n"

// daemonContext is the go-daemon set-up shared by the parent and the child
// (go-daemon re-runs the binary, and both sides must call Reborn). It never
// gets a Credential (the child could not bind port 80 then), a Umask (it
// cannot say 0) or a WorkDir: the runner applies those itself, in order.
func daemonContext(logTo string) *daemon.Context {
	return &daemon.Context{LogFileName: logTo, LogFilePerm: 0o600}
}

// isDaemonChild is true in the process that go-daemon started.
func isDaemonChild() bool { return daemon.WasReborn() }

// daemonize starts the daemon and waits until it is ready (exit 0), says it
// failed (its message is printed whole, exit 1), or dies (exit 1 at once,
// even when killed by SIGKILL: twistd's parent would wait forever).
//
// The daemon's stdout and stderr are the write end of a pipe until it is
// ready, so whatever it prints while starting, a Go panic included, reaches
// the terminal. The parent drops its own copy of the write end, so the read
// side ends as soon as the daemon does.
func daemonize(stderr io.Writer, logHint string) error {
	r, w, err := os.Pipe()
	if err != nil {
		return failf("cannot create the start-up pipe: %v", err)
	}
	defer r.Close()
	// go-daemon opens this name for the child's stdout and stderr.
	child, err := daemonContext(fmt.Sprintf("/proc/self/fd/%d", w.Fd())).Reborn()
	w.Close()
	if child == nil {
		return failf("cannot start the daemon: %v", err)
	}
	// With a child, err can only come from sending it its context; a child
	// that fails fast may be gone before the last bytes (EPIPE). What it
	// says, or how it died, is the message to show.

	exited := make(chan *os.ProcessState, 1)
	go func() {
		st, _ := child.Wait()
		exited <- st
	}()
	text, ready, st := readUntilReady(r, exited)
	if msg := strings.TrimSpace(text); msg != "" {
		fmt.Fprintln(stderr, msg)
	}
	if ready {
		return nil
	}
	if st == nil {
		st = <-exited
	}
	if text == "" {
		return failf("the daemon (pid %d) died during start-up (%s); see %s", child.Pid, exitText(st), logHint)
	}
	return &exitError{code: ExitFailure}
}

// readUntilReady copies the daemon's start-up output until the ready line
// (true), or until the pipe closes or the daemon exits (false, with the
// daemon's exit state when that is what it saw first).
func readUntilReady(r *os.File, exited <-chan *os.ProcessState) (string, bool, *os.ProcessState) {
	var out bytes.Buffer
	lines := make(chan string)
	go func() {
		defer close(lines)
		br := bufio.NewReader(r)
		for {
			s, err := br.ReadString('\n')
			if s != "" {
				lines <- s
			}
			if err != nil {
				return
			}
		}
	}()
	for {
		select {
		case s, ok := <-lines:
			if !ok {
				return out.String(), false, nil
			}
			if s == readyLine {
				return out.String(), true, nil
			}
			out.WriteString(s)
		case st := <-exited:
			// The daemon is gone; its last words may still be in the pipe,
			// unless a child of its own holds the write end open.
			r.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			for s := range lines {
				out.WriteString(s)
			}
			return out.String(), false, st
		}
	}
}

// exitText says how the daemon ended: "exit status 3", "signal: killed".
func exitText(st *os.ProcessState) string {
	if st == nil {
		return "exit status unknown"
	}
	return st.String()
}

// becomeDaemon finishes go-daemon's half in the child: it reads the
// context the parent sent, and puts /dev/null on stdin. It also clears
// go-daemon's marker, so programs the daemon runs are not mistaken for it.
func becomeDaemon() error {
	if _, err := daemonContext("").Reborn(); err != nil {
		return fmt.Errorf("daemon set-up: %v", err)
	}
	return os.Unsetenv(daemon.MARK_NAME)
}

// signalReady moves stdout and stderr to /dev/null (opened before any
// chroot), then tells the waiting parent that start-up is over, through a
// copy of the pipe kept for that: when the parent exits, the daemon is
// already detached from the terminal.
func signalReady(devnull *os.File) error {
	pipeFD, err := unix.Dup(1)
	if err != nil {
		return err
	}
	pipe := os.NewFile(uintptr(pipeFD), "start-up pipe")
	defer pipe.Close()
	if err := errors.Join(
		unix.Dup2(int(devnull.Fd()), 1),
		unix.Dup2(int(devnull.Fd()), 2),
	); err != nil {
		return err
	}
	_, err = io.WriteString(pipe, readyLine)
	return err
}
