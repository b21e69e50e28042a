package conch

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
)

// Scenario 49: exit status, id -u, a wrong password refused.
func TestExecExitStatusAndIdentity(t *testing.T) {
	dir := t.TempDir()
	pw := writeFile(t, dir, "pw", me(t)+":sekrit\n")
	r := start(t, "--auth", "file:"+pw)
	c := r.dial(t, me(t), ssh.Password("sekrit"))

	if _, _, code := run(t, c, "exit 7"); code != 7 {
		t.Errorf("exit 7: status %d", code)
	}
	out, _, code := run(t, c, "id -u")
	if code != 0 || strings.TrimSpace(out) != strconv.Itoa(os.Geteuid()) {
		t.Errorf("id -u = %q (status %d), want %d", out, code, os.Geteuid())
	}
	out, errOut, _ := run(t, c, "echo out; echo err >&2")
	if out != "out\n" || errOut != "err\n" {
		t.Errorf("stdout %q stderr %q", out, errOut)
	}
	out, _, _ = run(t, c, `echo "$USER $LOGNAME $HOME"; pwd; echo "$SSH_CONNECTION"`)
	lines := strings.Split(out, "\n")
	acct, _ := systemAccounts().lookup(me(t))
	if len(lines) < 3 || lines[0] != acct.Name+" "+acct.Name+" "+acct.Home || lines[1] != homeOrRoot(acct.Home) || !strings.HasPrefix(lines[2], "127.0.0.1 ") {
		t.Errorf("login environment: %q", out)
	}
	if !r.logs.has("accepted password for "+me(t), "from 127.0.0.1 port") {
		t.Error("no 'accepted password' log line")
	}

	_, err := ssh.Dial("tcp", r.addr, r.config(me(t), ssh.Password("wrong")))
	if err == nil {
		t.Fatal("wrong password accepted")
	}
	r.logs.wait(t, "failed password for "+me(t), "from 127.0.0.1 port")
}

func TestStdinIsPiped(t *testing.T) {
	r := start(t, "--auth", "memory:"+me(t)+":pw")
	c := r.dial(t, me(t), ssh.Password("pw"))
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	in := strings.Repeat("0123456789abcdef", 1<<14) // 256 KiB
	s.Stdin = strings.NewReader(in)
	out, err := s.Output("cat")
	if err != nil || string(out) != in {
		t.Fatalf("cat of %d bytes: got %d bytes, %v", len(in), len(out), err)
	}
}

// Signals reach the process group; a killed process ends with exit-signal.
func TestSignalAndExitSignal(t *testing.T) {
	r := start(t, "--auth", "memory:"+me(t)+":pw")
	c := r.dial(t, me(t), ssh.Password("pw"))
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Start("sleep 300"); err != nil {
		t.Fatal(err)
	}
	if err := s.Signal(ssh.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err = s.Wait()
	ee, ok := err.(*ssh.ExitError)
	if !ok || ee.Signal() != "TERM" {
		t.Fatalf("wait after SIGTERM: %v, want exit-signal TERM", err)
	}

	// The shell itself killed by a signal.
	_, _, code := run(t, c, "kill -KILL $$")
	if code != -1 {
		t.Errorf("kill -KILL $$: status %d, want a signal", code)
	}
}

func TestEnvAllowlist(t *testing.T) {
	r := start(t, "--auth", "memory:"+me(t)+":pw", "--accept-env", "LANG", "--accept-env", "GT_*")
	c := r.dial(t, me(t), ssh.Password("pw"))
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Setenv("LANG", "C.UTF-8"); err != nil {
		t.Errorf("LANG refused: %v", err)
	}
	if err := s.Setenv("GT_X", "1"); err != nil {
		t.Errorf("GT_X refused: %v", err)
	}
	if err := s.Setenv("LD_PRELOAD", "/tmp/evil.so"); err == nil {
		t.Error("LD_PRELOAD accepted")
	}
	if err := s.Setenv("PATH", "/tmp"); err == nil {
		t.Error("PATH accepted")
	}
	out, err := s.Output(`echo "$LANG|$GT_X|$LD_PRELOAD"`)
	if err != nil || string(out) != "C.UTF-8|1|\n" {
		t.Errorf("env in session: %q, %v", out, err)
	}
}

// A shell on a pty: a terminal, the pty's size, window-change, exit status.
func TestShellOnPTY(t *testing.T) {
	r := start(t, "--auth", "memory:"+me(t)+":pw")
	c := r.dial(t, me(t), ssh.Password("pw"))
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	modes := ssh.TerminalModes{ssh.ECHO: 0, ssh.TTY_OP_ISPEED: 38400, ssh.TTY_OP_OSPEED: 38400}
	if err := s.RequestPty("xterm-256color", 40, 100, modes); err != nil {
		t.Fatal(err)
	}
	stdin, _ := s.StdinPipe()
	stdout, _ := s.StdoutPipe()
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(stdout)
	expect := func(marker string) string {
		t.Helper()
		for {
			line, err := rd.ReadString('\n')
			if strings.Contains(line, marker) && !strings.Contains(line, "echo") {
				return line
			}
			if err != nil {
				t.Fatalf("waiting for %q: %v", marker, err)
			}
		}
	}
	io.WriteString(stdin, "tty; echo \"T=$TERM\"; stty size; echo M1-DONE\n")
	line := expect("/dev/pts/")
	if !strings.Contains(line, "/dev/pts/") { // after the prompt, if any
		t.Errorf("tty: %q", line)
	}
	if line := expect("T="); !strings.HasSuffix(strings.TrimSpace(line), "T=xterm-256color") {
		t.Errorf("TERM: %q", line)
	}
	if line := expect(" 100"); !strings.HasSuffix(strings.TrimSpace(line), "40 100") {
		t.Errorf("stty size: %q", line)
	}
	expect("M1-DONE")

	// window-change with a reply, so the size is set before the next line.
	ok, err := s.SendRequest("window-change", true, ssh.Marshal(windowChange{Columns: 132, Rows: 50}))
	if err != nil || !ok {
		t.Fatalf("window-change: %v %v", ok, err)
	}
	io.WriteString(stdin, "stty size; exit 3\n")
	if line := expect(" 132"); !strings.HasSuffix(strings.TrimSpace(line), "50 132") {
		t.Errorf("stty size after window-change: %q", line)
	}
	err = s.Wait()
	if ee, ok := err.(*ssh.ExitError); !ok || ee.ExitStatus() != 3 {
		t.Errorf("shell exit: %v, want status 3", err)
	}
}

// A command that leaves a background process holding the terminal still
// ends its session.
func TestPTYBackgroundProcessDoesNotHang(t *testing.T) {
	r := start(t, "--auth", "memory:"+me(t)+":pw")
	c := r.dial(t, me(t), ssh.Password("pw"))
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.RequestPty("xterm", 24, 80, nil); err != nil {
		t.Fatal(err)
	}
	out, err := s.Output("sleep 30 & echo started")
	if err != nil || !strings.Contains(string(out), "started") {
		t.Fatalf("got %q, %v", out, err)
	}
	// The hang-up at the session's end reaches the background sleep.
}

func TestSessionsAsAnotherAccount(t *testing.T) {
	acct := testUser(t)
	dir := t.TempDir()
	pw := writeFile(t, dir, "pw", acct.Name+":"+"$2b$05$abcdefghijklmnopqrstuuHNbAKRhpaujgo33bRWs.NLUTJO3lOy2\n")
	r := start(t, "--auth", "file:"+pw)
	c := r.dial(t, acct.Name, ssh.Password("correct horse"))
	out, _, code := run(t, c, "id -u; id -g; id -G; pwd; echo $HOME; touch made-here; stat -c %u made-here")
	f := strings.Fields(out)
	uid, gid := strconv.Itoa(int(acct.UID)), strconv.Itoa(int(acct.GID))
	if code != 0 || len(f) < 5 || f[0] != uid || f[1] != gid || f[len(f)-3] != acct.Home || f[len(f)-1] != uid {
		t.Fatalf("session as %s: %q (status %d), want uid %s gid %s home %s", acct.Name, out, code, uid, gid, acct.Home)
	}
	for _, g := range f[2 : len(f)-3] {
		if g == "0" {
			t.Errorf("session keeps root's group 0: id -G = %v", f[2:len(f)-3])
		}
	}
	if st, err := os.Stat(filepath.Join(acct.Home, "made-here")); err != nil || st.Sys() == nil {
		t.Fatalf("file made in session: %v", err)
	}

	// On a pty, the terminal belongs to the account.
	s, err := c.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.RequestPty("xterm", 24, 80, nil); err != nil {
		t.Fatal(err)
	}
	out2, err := s.Output("stat -c %u $(tty)")
	if err != nil || strings.TrimSpace(string(out2)) != uid {
		t.Errorf("owner of the pty: %q, %v; want %s", out2, err, uid)
	}
}

func TestMaxSessionsPerConnection(t *testing.T) {
	r := start(t, "--auth", "memory:"+me(t)+":pw", "--max-sessions", "2")
	c := r.dial(t, me(t), ssh.Password("pw"))
	var open []*ssh.Session
	for i := 0; i < 2; i++ {
		s, err := c.NewSession()
		if err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
		open = append(open, s)
	}
	if _, err := c.NewSession(); err == nil {
		t.Error("third session accepted with --max-sessions 2")
	}
	for _, s := range open {
		s.Close()
	}
}

// A home directory the account cannot enter: the session starts in /
// and says why, as sshd does.
func TestUnreachableHomeStartsInRoot(t *testing.T) {
	acct := testUser(t)
	if err := os.Chmod(acct.Home, 0); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(acct.Home, 0o700)
	r := start(t, "--auth", "memory:"+acct.Name+":pw")
	c := r.dial(t, acct.Name, ssh.Password("pw"))
	out, errOut, code := run(t, c, "pwd")
	if code != 0 || out != "/\n" || !strings.Contains(errOut, "Could not chdir to home directory "+acct.Home) {
		t.Errorf("pwd = %q, stderr %q, status %d", out, errOut, code)
	}
}

// The terminal modes of pty-req are applied to the terminal.
func TestPTYTerminalModes(t *testing.T) {
	r := start(t, "--auth", "memory:"+me(t)+":pw")
	c := r.dial(t, me(t), ssh.Password("pw"))
	for _, echo := range []uint32{0, 1} {
		s, err := c.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RequestPty("xterm", 24, 80, ssh.TerminalModes{ssh.ECHO: echo, ssh.VINTR: 7}); err != nil {
			t.Fatal(err)
		}
		out, _ := s.Output("stty -a")
		s.Close()
		want := " echo "
		if echo == 0 {
			want = " -echo "
		}
		if !strings.Contains(strings.ReplaceAll(string(out), "\r\n", " "), want) || !strings.Contains(string(out), "intr = ^G") {
			t.Errorf("ECHO=%d: stty -a = %q", echo, out)
		}
	}
}

// Commands that end at once, many at a time: the answer to exec always
// reaches the client before the exit status and the channel's close.
func TestManyShortCommands(t *testing.T) {
	r := start(t, "--auth", "memory:"+me(t)+":pw", "--max-sessions", "20")
	c := r.dial(t, me(t), ssh.Password("pw"))
	errs := make(chan error, 64)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 8; i++ {
				s, err := c.NewSession()
				if err != nil {
					errs <- err
					return
				}
				errs <- s.Run("exit 0")
				s.Close()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("short command: %v", err)
		}
	}
}

// Supplementary groups of /etc/group reach the session (initgroups).
func TestSupplementaryGroups(t *testing.T) {
	acct := testUser(t)
	if out, err := exec.Command("usermod", "-aG", "tty", acct.Name).CombinedOutput(); err != nil {
		t.Skipf("usermod -aG tty: %v %s", err, out)
	}
	defer exec.Command("gpasswd", "-d", acct.Name, "tty").Run()
	tty := strconv.Itoa(int(ttyGroup(0)))
	r := start(t, "--auth", "memory:"+acct.Name+":pw")
	c := r.dial(t, acct.Name, ssh.Password("pw"))
	out, _, _ := run(t, c, "id -G")
	if !strings.Contains(" "+strings.TrimSpace(out)+" ", " "+tty+" ") {
		t.Errorf("id -G = %q, want it to include tty (%s)", out, tty)
	}
}
