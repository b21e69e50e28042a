package mail

import (
	"bufio"
	"fmt"
	"net/smtp"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// startServerProcess runs this test binary as `gotwistd -n mail args...`
// (see TestMain) and returns the process and the address of its first
// listener, read from its "listening on" log line.
func startServerProcess(t *testing.T, args ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"-n", "--pidfile", "", "mail"}, args...)...)
	cmd.Env = append(os.Environ(), envServe+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrRe := regexp.MustCompile(`listening on \S+ \((127\.0\.0\.1:\d+)\)`)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if m := addrRe.FindStringSubmatch(sc.Text()); m != nil {
			go func() { // keep draining the log so the server never blocks on it
				for sc.Scan() {
				}
			}()
			return cmd, m[1]
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	t.Fatalf("server exited before listening: %v", sc.Err())
	return nil, ""
}

// loadBody is a 2 KiB message whose last line names it, so a cut-off copy
// is told from a whole one.
func loadBody(id string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Subject: %s\r\n\r\n", id)
	for i := range 32 {
		fmt.Fprintf(&b, "%s line %02d %s\r\n", id, i, strings.Repeat("x", 48))
	}
	fmt.Fprintf(&b, "END %s\r\n", id)
	return b.String()
}

// TestSIGKILLDuringLoadLosesNothing kills the server with SIGKILL while
// eight clients send, then checks that every message that got its 250 is
// complete in new/ and that new/ holds nothing partial, in both --fsync
// modes.
func TestSIGKILLDuringLoadLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server process")
	}
	for _, mode := range []string{fsyncGroup, fsyncMessage} {
		t.Run(mode, func(t *testing.T) { killDuringLoad(t, mode) })
	}
}

func killDuringLoad(t *testing.T, mode string) {
	dir := t.TempDir()
	cmd, addr := startServerProcess(t, "-H", "localhost", "-d", "localhost="+dir, "-u", "joe=pw", "-s", loop, "--no-pop3", "--fsync", mode)

	const clients, killAfter = 8, 300
	var (
		mu       sync.Mutex
		accepted = map[string]bool{}
		wg       sync.WaitGroup
		killOnce sync.Once
	)
	kill := func() { killOnce.Do(func() { cmd.Process.Signal(syscall.SIGKILL) }) }
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl, err := smtp.Dial(addr)
			if err != nil {
				return
			}
			defer cl.Close()
			for i := 0; ; i++ {
				id := fmt.Sprintf("c%d-m%d", c, i)
				if cl.Mail("load@example.com") != nil || cl.Rcpt("joe@localhost") != nil {
					return
				}
				w, err := cl.Data()
				if err != nil {
					return
				}
				w.Write([]byte(loadBody(id)))
				if w.Close() != nil {
					return // no 250: the message may or may not be there
				}
				mu.Lock()
				accepted[id] = true
				n := len(accepted)
				mu.Unlock()
				if n == killAfter {
					kill()
				}
			}
		}()
	}
	wg.Wait()
	kill()
	cmd.Wait()

	if len(accepted) < killAfter {
		t.Fatalf("only %d messages accepted before the clients stopped", len(accepted))
	}
	found := map[string]bool{}
	newDir := filepath.Join(dir, "joe", "new")
	for _, name := range listDir(t, newDir) {
		data, err := os.ReadFile(filepath.Join(newDir, name))
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`(?m)^Subject: (\S+)$`).FindStringSubmatch(string(data))
		if m == nil {
			t.Errorf("%s: partial message without its Subject:\n%q", name, data)
			continue
		}
		want, _ := toLF(nil, []byte(loadBody(m[1])))
		if !strings.HasSuffix(string(data), string(want)) || !strings.HasPrefix(string(data), "Received: ") {
			t.Errorf("%s: message %s is incomplete (%d bytes)", name, m[1], len(data))
		}
		found[m[1]] = true
	}
	for id := range accepted {
		if !found[id] {
			t.Errorf("message %s got a 250 but is not in new/", id)
		}
	}
	t.Logf("%d messages got a 250, %d are in new/ (the rest were cut off before their 250)", len(accepted), len(found))
}
