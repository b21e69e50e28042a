package mail

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// tempError is a delivery failure worth retrying (SMTP 451); any other
// delivery error is permanent (554).
type tempError struct{ err error }

func (e *tempError) Error() string { return e.err.Error() }
func (e *tempError) Unwrap() error { return e.err }

func temporary(err error) bool {
	var t *tempError
	return errors.As(err, &t)
}

// deliver puts msg (LF line ends; crlf is its size with CRLF) into every
// target and returns only when each copy is on disk (or accepted by its
// program). from is the envelope sender ("" for a bounce). It stops at the
// first failure, so targets before it may have their copy: a client that
// retries then delivers those twice, which mail can survive, while a lost
// message it cannot.
func (m *mailer) deliver(ctx context.Context, from string, targets []target, msg []byte, crlf int) error {
	var remote []string
	for _, t := range targets {
		var err error
		switch {
		case t.acct != nil:
			_, err = t.acct.box.deliver(msg, crlf)
			if err != nil {
				err = &tempError{fmt.Errorf("maildir of %s: %w", t.acct.address(), err)}
			}
		case t.kind == targetFile:
			err = appendMbox(t.path, from, msg)
			if err != nil {
				err = &tempError{fmt.Errorf("alias file %s: %w", t.path, err)}
			}
		case t.kind == targetProgram:
			err = m.runProgram(ctx, t.path, from, msg)
		default:
			remote = append(remote, t.addr)
		}
		if err != nil {
			return err
		}
	}
	if len(remote) == 0 {
		return nil
	}
	if m.queue == nil {
		return fmt.Errorf("no relay queue for %s", strings.Join(remote, ", "))
	}
	if err := m.queue.enqueue(from, remote, msg); err != nil {
		return &tempError{fmt.Errorf("relay queue: %w", err)}
	}
	return nil
}

// appendMbox appends msg to an mbox file (created 0600 if missing) under
// an exclusive flock, with a "From " line and ">From " quoting (mboxrd),
// and fsyncs it (and its directory when the file is new).
func appendMbox(path, from string, msg []byte) error {
	_, statErr := os.Stat(path)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	if from == "" {
		from = "MAILER-DAEMON"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "From %s %s\n", from, time.Now().UTC().Format("Mon Jan _2 15:04:05 2006"))
	for line := range bytes.Lines(msg) {
		if bytes.HasPrefix(bytes.TrimLeft(line, ">"), []byte("From ")) {
			b.WriteByte('>')
		}
		b.Write(line)
	}
	if !bytes.HasSuffix(msg, []byte("\n")) {
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	if _, err := f.Write(b.Bytes()); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if isNotExist(statErr) {
		return newDirSyncer(filepath.Dir(path)).sync()
	}
	return nil
}

// exTempFail is sysexits' EX_TEMPFAIL: a program that exits with it asks
// for the message again later.
const exTempFail = 75

// runProgram runs an alias's |program with /bin/sh -c, as sendmail and
// Postfix do (twistd splits it on blanks, so quotes and redirections do not
// work there), with the message on its standard input and SENDER in its
// environment. It must exit 0 within --program-timeout; exit status 75
// (EX_TEMPFAIL) or the timeout ask the client to retry.
func (m *mailer) runProgram(ctx context.Context, cmdline, from string, msg []byte) error {
	ctx, cancel := context.WithTimeout(ctx, m.c.programTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", cmdline)
	cmd.Stdin = bytes.NewReader(msg)
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "SENDER=" + from}
	var stderr bytes.Buffer
	cmd.Stderr = &limitedBuffer{buf: &stderr, max: 4096}
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	if err == nil {
		return nil
	}
	err = fmt.Errorf("alias program %q: %w (%s)", cmdline, err, strings.TrimSpace(stderr.String()))
	var ee *exec.ExitError
	if ctx.Err() != nil || (errors.As(err, &ee) && ee.ExitCode() == exTempFail) || !errors.As(err, &ee) {
		return &tempError{err}
	}
	return err
}

// limitedBuffer keeps the first max bytes written to it and drops the rest.
type limitedBuffer struct {
	buf *bytes.Buffer
	max int
}

func (l *limitedBuffer) Write(p []byte) (int, error) {
	if room := l.max - l.buf.Len(); room > 0 {
		l.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}
