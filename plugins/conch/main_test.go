package conch

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/crypto/ssh"

	"github.com/gotwistd/gotwistd/runner"
)

// testM creates the throwaway system account of the root-only tests
// around the run, and removes it afterwards.
type testM struct{ m *testing.M }

func (t testM) Run() int {
	code := t.m.Run()
	removeTestUser()
	return code
}

func TestMain(m *testing.M) { goleak.VerifyTestMain(testM{m}) }

// isRoot reports whether the tests may switch users and read /etc/shadow.
func isRoot() bool { return os.Geteuid() == 0 }

func needRoot(t *testing.T) {
	t.Helper()
	if !isRoot() {
		t.Skip("needs root: sessions as another account")
	}
}

// me is the account the server runs as: root in CI.
func me(t *testing.T) string {
	t.Helper()
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	return u.Username
}

// logs collects the service's log lines for assertions.
type logs struct {
	mu    sync.Mutex
	cond  *sync.Cond
	lines []string
}

func newLogs() *logs {
	l := &logs{}
	l.cond = sync.NewCond(&l.mu)
	return l
}

func (l *logs) Enabled(context.Context, slog.Level) bool { return true }
func (l *logs) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.lines = append(l.lines, r.Level.String()+" "+r.Message)
	l.cond.Broadcast()
	l.mu.Unlock()
	return nil
}
func (l *logs) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logs) WithGroup(string) slog.Handler      { return l }

// has reports whether a line containing every part was logged.
func (l *logs) has(parts ...string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.find(parts) >= 0
}

func (l *logs) find(parts []string) int {
	for i, line := range l.lines {
		ok := true
		for _, p := range parts {
			ok = ok && strings.Contains(line, p)
		}
		if ok {
			return i
		}
	}
	return -1
}

// wait blocks until a line containing every part is logged (the test's
// own deadline bounds it).
func (l *logs) wait(t *testing.T, parts ...string) string {
	t.Helper()
	// No time limit of our own; but rather than hang until the test
	// binary is killed, give up shortly before its deadline and show
	// what was logged.
	expired := false
	if dl, ok := t.Deadline(); ok {
		timer := time.AfterFunc(time.Until(dl)-5*time.Second, func() {
			l.mu.Lock()
			expired = true
			l.cond.Broadcast()
			l.mu.Unlock()
		})
		defer timer.Stop()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for {
		if i := l.find(parts); i >= 0 {
			return l.lines[i]
		}
		if expired {
			t.Fatalf("no log line with %q in:\n%s", parts, strings.Join(l.lines, "\n"))
		}
		l.cond.Wait()
	}
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// running is a started conch service and what a client needs to reach it.
type running struct {
	svc     *Service
	addr    string
	hostKey ssh.PublicKey
	logs    *logs
	data    string
}

// start builds conch from a command line (with a fresh --data directory
// and a loopback port unless given) and starts it; it stops at cleanup.
func start(t *testing.T, args ...string) *running {
	t.Helper()
	r := &running{logs: newLogs()}
	hasData, hasPort := false, false
	for _, a := range args {
		hasData = hasData || a == "--data" || a == "-d"
		hasPort = hasPort || a == "--port" || a == "-p"
	}
	if !hasData {
		r.data = t.TempDir()
		args = append(args, "--data", r.data)
	}
	if !hasPort {
		args = append(args, "-p", "tcp:0:interface=127.0.0.1")
	}
	svc, err := runner.Build(Plugin(), args, runner.Env{Logger: slog.New(r.logs)})
	if err != nil {
		t.Fatal(err)
	}
	r.svc = svc.(*Service)
	ctx := context.Background()
	if err := r.svc.PrivilegedStart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := r.svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.svc.Stop(ctx); err != nil {
			t.Errorf("stop: %v", err)
		}
		if t.Failed() {
			t.Logf("server log:\n%s", r.logs)
		}
	})
	r.addr = r.svc.Addr().String()
	r.hostKey = r.svc.keys[0].signer.PublicKey()
	return r
}

// config is a client configuration that checks the server's real host key.
func (r *running) config(user string, auth ...ssh.AuthMethod) *ssh.ClientConfig {
	return &ssh.ClientConfig{User: user, Auth: auth, HostKeyCallback: ssh.FixedHostKey(r.hostKey), Timeout: 30 * time.Second}
}

func (r *running) dial(t *testing.T, user string, auth ...ssh.AuthMethod) *ssh.Client {
	t.Helper()
	c, err := ssh.Dial("tcp", r.addr, r.config(user, auth...))
	if err != nil {
		t.Fatalf("login as %s: %v", user, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// run execs command in a new session and returns stdout, stderr and the
// exit status (-1 when the command was killed by a signal).
func run(t *testing.T, c *ssh.Client, command string) (string, string, int) {
	t.Helper()
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out, errOut strings.Builder
	s.Stdout, s.Stderr = &out, &errOut
	err = s.Run(command)
	code := 0
	if ee, ok := err.(*ssh.ExitError); ok {
		code = ee.ExitStatus()
		if ee.Signal() != "" {
			code = -1
		}
	} else if err != nil {
		t.Fatalf("run %q: %v", command, err)
	}
	return out.String(), errOut.String(), code
}

// newKey makes an ed25519 client key.
func newKey(t *testing.T) ssh.Signer {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func authorizedLine(k ssh.Signer) string {
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(k.PublicKey())))
}

// writeFile writes content to dir/name with mode 0600 and returns its path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// The throwaway account: created once with useradd, removed by TestMain.
var testAccount struct {
	once sync.Once
	acct *account
	err  error
}

const testUserName = "gtconch-test"

// testUser returns a fresh system account with a home directory and
// /bin/sh, for the tests that log in as someone other than root.
func testUser(t *testing.T) *account {
	t.Helper()
	needRoot(t)
	if _, err := exec.LookPath("useradd"); err != nil {
		t.Skip("useradd not installed")
	}
	testAccount.once.Do(func() {
		_ = exec.Command("userdel", "-r", testUserName).Run() // left over from a killed run
		home := filepath.Join(os.TempDir(), testUserName+"-"+strconv.Itoa(os.Getpid()))
		var out []byte
		// Another process may hold the lock on /etc/passwd for a moment.
		for i := 0; i < 20; i++ {
			out, testAccount.err = exec.Command("useradd", "-m", "-d", home, "-s", "/bin/sh", "-U", testUserName).CombinedOutput()
			if testAccount.err == nil || !strings.Contains(string(out), "lock") {
				break
			}
			time.Sleep(100 * time.Millisecond) // waiting on another program, not on our server
		}
		if testAccount.err != nil {
			testAccount.err = fmt.Errorf("useradd: %v: %s", testAccount.err, out)
			return
		}
		testAccount.acct, testAccount.err = systemAccounts().lookup(testUserName)
	})
	if testAccount.err != nil {
		t.Fatal(testAccount.err)
	}
	return testAccount.acct
}

func removeTestUser() {
	if testAccount.acct != nil {
		_ = exec.Command("userdel", "-r", testUserName).Run()
	}
}

func newTestLogger() *slog.Logger { return slog.New(newLogs()) }
