package conch

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// Environment of the sftp child process: this same binary, re-executed
// as the logged-in account to serve one sftp session on stdin/stdout.
const (
	sftpChildEnv = "GOTWISTD_CONCH_SFTP_CHILD"
	sftpRootEnv  = "GOTWISTD_CONCH_SFTP_ROOT"
)

// The sftp child: when the plugin's package is linked into a program (the
// gotwistd binary, a test binary) and that program is started with
// sftpChildEnv set, it serves sftp on stdin/stdout and exits before main.
// The server starts it with the account's credentials already applied, so
// the sftp server never runs as root for another user.
func init() {
	if os.Getenv(sftpChildEnv) != "1" {
		return
	}
	// The child only moves file data through short-lived packet buffers:
	// collecting garbage less often made downloads 5-10% faster in A/B runs.
	debug.SetGCPercent(400)
	rwc := struct {
		io.Reader
		io.WriteCloser
	}{os.Stdin, os.Stdout}
	if err := serveSFTP(rwc, os.Getenv(sftpRootEnv)); err != nil {
		fmt.Fprintln(os.Stderr, "sftp:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// serveSFTP serves one sftp session on rwc until the client ends it:
// the real file system from the working directory, or only what lies
// under root (which the client sees as /) when root is set.
func serveSFTP(rwc io.ReadWriteCloser, root string) error {
	var err error
	if root != "" {
		var r *os.Root
		if r, err = os.OpenRoot(root); err != nil {
			return err
		}
		defer r.Close()
		srv := sftp.NewRequestServer(rwc, rootHandlers(r))
		err = srv.Serve()
		srv.Close()
	} else {
		var srv *sftp.Server
		wd, _ := os.Getwd()
		if srv, err = sftp.NewServer(rwc, sftp.WithServerWorkingDirectory(wd)); err != nil {
			return err
		}
		err = srv.Serve()
		srv.Close()
	}
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// subsystem starts a subsystem; only sftp exists. When the server runs as
// the logged-in account, sftp is served in this process; otherwise in a
// child process with the account's credentials.
func (s *session) subsystem(name string) bool {
	if name != "sftp" || s.c.srv.cfg.noSFTP {
		return false
	}
	if s.c.login.opts.command != "" {
		return s.start("", false) // a forced command replaces subsystems too
	}
	a := s.c.login.acct
	root := s.c.srv.cfg.sftpRoot
	if a.UID == uint32(os.Geteuid()) || s.c.srv.cfg.exe == "" {
		return s.serveInProcess(root, homeOrRoot(a.Home))
	}
	env := s.c.sessionEnv(nil, sftpChildEnv+"=1", sftpRootEnv+"="+root)
	cmd := s.c.sessionCommand(s.c.srv.cfg.exe, []string{"sftp-server"}, env)
	return s.run(cmd)
}

// keepOpen hides Close from pkg/sftp, which closes its connection when the
// client's input ends: the channel must stay open for the exit-status that
// scp waits for.
type keepOpen struct{ ssh.Channel }

func (keepOpen) Close() error { return nil }

// serveInProcess runs pkg/sftp on the channel in a goroutine.
func (s *session) serveInProcess(root, wd string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started {
		return false
	}
	s.started = true
	s.finished = make(chan struct{})
	go func() {
		var err error
		ch := keepOpen{s.ch}
		if root != "" {
			err = serveSFTP(ch, root)
		} else {
			var srv *sftp.Server
			if srv, err = sftp.NewServer(ch, sftp.WithServerWorkingDirectory(wd)); err == nil {
				err = srv.Serve()
				srv.Close()
				if errors.Is(err, io.EOF) {
					err = nil
				}
			}
		}
		<-s.replied
		if err != nil {
			s.c.srv.log.Debug(fmt.Sprintf("sftp session of %s: %v", s.c.login.acct.Name, err))
			_, _ = s.ch.SendRequest("exit-status", false, []byte{0, 0, 0, 1})
		} else {
			_, _ = s.ch.SendRequest("exit-status", false, []byte{0, 0, 0, 0})
		}
		s.ch.Close()
		close(s.finished)
	}()
	return true
}
