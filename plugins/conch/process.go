package conch

import (
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// Default PATHs of a session, as Debian's login.defs has them.
const (
	userPath = "/usr/local/bin:/usr/bin:/bin:/usr/games"
	rootPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// sessionCommand builds the process of a session for the logged-in
// account: argv[0] name, arguments, environment, home directory, a new
// session (setsid) and, when the server runs as root, the account's uid,
// gid and supplementary groups (set in the child before exec, so nothing
// runs as root in between).
func (c *sshConn) sessionCommand(prog string, argv []string, env []string) *exec.Cmd {
	a := c.login.acct
	cmd := &exec.Cmd{Path: prog, Args: argv, Env: env, Dir: homeOrRoot(a.Home)}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if os.Geteuid() == 0 {
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: a.UID, Gid: a.GID, Groups: a.Groups}
	}
	return cmd
}

// shellCommand runs the account's shell: a login shell ("-bash") when
// command is empty, else `shell -c command`.
func (c *sshConn) shellCommand(command string, env []string) *exec.Cmd {
	shell := c.login.acct.Shell
	base := filepath.Base(shell)
	if command == "" {
		return c.sessionCommand(shell, []string{"-" + base}, env)
	}
	return c.sessionCommand(shell, []string{base, "-c", command}, env)
}

// homeOrRoot is the directory a session starts in: the home directory,
// or / when it does not exist (sshd says "Could not chdir" and does the
// same).
func homeOrRoot(home string) string {
	if st, err := os.Stat(home); err == nil && st.IsDir() {
		return home
	}
	return "/"
}

// sessionEnv is the environment of a session: what the client sent that
// --accept-env allows, then the login variables, which the client cannot
// override.
func (c *sshConn) sessionEnv(client []string, extra ...string) []string {
	a := c.login.acct
	p := userPath
	if a.UID == 0 {
		p = rootPath
	}
	rhost, rport, _ := net.SplitHostPort(c.sc.RemoteAddr().String())
	lhost, lport, _ := net.SplitHostPort(c.sc.LocalAddr().String())
	env := append([]string(nil), client...)
	env = append(env,
		"HOME="+a.Home,
		"USER="+a.Name,
		"LOGNAME="+a.Name,
		"SHELL="+a.Shell,
		"PATH="+p,
		"MAIL=/var/mail/"+a.Name,
		"SSH_CLIENT="+rhost+" "+rport+" "+lport,
		"SSH_CONNECTION="+rhost+" "+rport+" "+lhost+" "+lport,
	)
	return dedupEnv(append(env, extra...))
}

// dedupEnv keeps the last value of each variable.
func dedupEnv(env []string) []string {
	seen := map[string]int{}
	var out []string
	for _, kv := range env {
		k, _, _ := strings.Cut(kv, "=")
		if i, ok := seen[k]; ok {
			out[i] = kv
			continue
		}
		seen[k] = len(out)
		out = append(out, kv)
	}
	return out
}

// envAllowed reports whether a client variable passes --accept-env.
func envAllowed(patterns []string, name string) bool {
	if name == "" || strings.ContainsAny(name, "=\x00") {
		return false
	}
	for _, p := range patterns {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// signalByName maps an RFC 4254 signal name ("TERM") to a signal.
func signalByName(name string) (syscall.Signal, bool) {
	s := unix.SignalNum("SIG" + name)
	return s, s != 0
}

// signalName is the RFC 4254 name of sig ("TERM").
func signalName(sig syscall.Signal) string {
	return strings.TrimPrefix(unix.SignalName(sig), "SIG")
}
