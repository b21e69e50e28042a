package mail

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func newTestMaildir(t *testing.T, perMessage bool) *maildir {
	t.Helper()
	m := newMaildir(filepath.Join(t.TempDir(), "joe"))
	m.perMessage = perMessage
	if err := m.create(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.close)
	return m
}

// checkDelivered reads back every file of new/ and expects exactly want
// (as contents), and tmp/ empty.
func checkDelivered(t *testing.T, m *maildir, want map[string]bool) {
	t.Helper()
	got := map[string]bool{}
	for _, text := range readNew(t, m.path) {
		if !want[text] {
			t.Errorf("unexpected message in new/: %q", text)
		}
		got[text] = true
	}
	for text := range want {
		if !got[text] {
			t.Errorf("message %q was delivered but is not in new/", text)
		}
	}
	if left := listDir(t, filepath.Join(m.path, "tmp")); len(left) > 0 {
		t.Errorf("tmp/ still holds %v", left)
	}
}

// Many goroutines delivering at once each get their message into new/,
// whole, in both --fsync modes.
func TestConcurrentDeliveries(t *testing.T) {
	for _, perMessage := range []bool{false, true} {
		t.Run(fmt.Sprintf("perMessage=%v", perMessage), func(t *testing.T) {
			m := newTestMaildir(t, perMessage)
			const writers, each = 12, 15
			want := map[string]bool{}
			var mu sync.Mutex
			var wg sync.WaitGroup
			for w := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range each {
						text := fmt.Sprintf("Subject: w%d m%d\n\n%s\n", w, i, strings.Repeat("x", 100*i))
						if _, err := m.deliver([]byte(text), len(text)); err != nil {
							t.Errorf("deliver: %v", err)
							return
						}
						mu.Lock()
						want[text] = true
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if len(want) != writers*each {
				t.Fatalf("%d of %d deliveries succeeded", len(want), writers*each)
			}
			checkDelivered(t, m, want)
		})
	}
}

// While one commit runs, the files that arrive wait and are committed
// together by one of them; a failure of one file (its Maildir lost its
// new/) fails only that delivery and leaves nothing in its tmp/.
func TestGroupCommitBatchesWaitingFiles(t *testing.T) {
	good := newTestMaildir(t, false)
	bad := newTestMaildir(t, false)
	if err := os.Remove(filepath.Join(bad.path, "new")); err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(good.path) == filepath.Dir(bad.path) || good.syncGroup() != bad.syncGroup() {
		t.Skip("the two temporary directories are on different filesystems")
	}
	g := good.syncGroup()

	release := make(chan struct{})
	var sizes []int
	var mu sync.Mutex
	commitHook = func(n int) {
		mu.Lock()
		sizes = append(sizes, n)
		first := len(sizes) == 1
		mu.Unlock()
		if first {
			<-release // hold the first commit until the others wait
		}
	}
	t.Cleanup(func() { commitHook = nil })

	errs := make(chan error, 6)
	deliver := func(m *maildir, text string) {
		_, err := m.deliver([]byte(text), len(text))
		errs <- err
	}
	go deliver(good, "first\n")
	waitPending(t, g, 0, func() bool { mu.Lock(); defer mu.Unlock(); return len(sizes) == 1 })
	for i := range 4 {
		go deliver(good, fmt.Sprintf("waiting %d\n", i))
	}
	go deliver(bad, "to a Maildir without new/\n")
	waitPending(t, g, 5, nil)
	close(release)

	failed := 0
	for range 6 {
		if err := <-errs; err != nil {
			failed++
			if !isNotExist(err) {
				t.Errorf("the failed delivery says %v, want that new/ is missing", err)
			}
		}
	}
	if failed != 1 {
		t.Errorf("%d deliveries failed, want 1", failed)
	}
	mu.Lock()
	if len(sizes) != 2 || sizes[0] != 1 || sizes[1] != 5 {
		t.Errorf("batches %v, want [1 5]", sizes)
	}
	mu.Unlock()
	checkDelivered(t, good, map[string]bool{"first\n": true, "waiting 0\n": true, "waiting 1\n": true, "waiting 2\n": true, "waiting 3\n": true})
	if left := listDir(t, filepath.Join(bad.path, "tmp")); len(left) > 0 {
		t.Errorf("the failed delivery left %v in tmp/", left)
	}
}

// waitPending waits until n files wait in g (and cond holds, if given).
func waitPending(t *testing.T, g *syncGroup, n int, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		g.mu.Lock()
		k := len(g.pending)
		g.mu.Unlock()
		if k == n && (cond == nil || cond()) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d files waiting, want %d", k, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// A client that pipelines MAIL, RCPT and DATA gets the three replies
// together, in one segment, and the 250 after its message; a client that
// does not gets each reply on its own, as before.
func TestPipelinedRepliesComeTogether(t *testing.T) {
	dir := t.TempDir()
	s := startMail(t, baseArgs(dir)...)
	c, err := net.Dial("tcp", s.smtp[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	readLine := func() string {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		line, err := r.ReadString('\n')
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		return line
	}
	readLine() // 220
	fmt.Fprintf(c, "EHLO client.example\r\n")
	ext := ""
	for line := readLine(); ; line = readLine() {
		ext += line
		if strings.HasPrefix(line, "250 ") {
			break
		}
	}
	if !strings.Contains(ext, "PIPELINING") {
		t.Fatalf("PIPELINING not offered:\n%s", ext)
	}
	// One write; the server reads it in one go.
	fmt.Fprintf(c, "MAIL FROM:<a@example.com>\r\nRCPT TO:<joe@localhost>\r\nDATA\r\n")
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4096)
	n, err := c.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	got := string(buf[:n])
	if !strings.HasPrefix(got, "250 ") || strings.Count(got, "\r\n") != 3 || !strings.Contains(got, "\r\n354 ") {
		t.Errorf("first read after the pipelined group: %q, want the 250, 250 and 354 together", got)
	}
	fmt.Fprintf(c, "Subject: piped\r\n\r\nhello\r\n.\r\nQUIT\r\n")
	if line := readLine(); !strings.HasPrefix(line, "250 ") {
		t.Errorf("after the message: %q", line)
	}
	if line := readLine(); !strings.HasPrefix(line, "221 ") {
		t.Errorf("after QUIT: %q", line)
	}
	msgs := readNew(t, filepath.Join(dir, "maildir", "joe"))
	if len(msgs) != 1 || !strings.HasSuffix(msgs[0], "Subject: piped\n\nhello\n") {
		t.Errorf("new/ holds %q", msgs)
	}
}

// --fsync takes group or message and says which when given anything else.
func TestFsyncOption(t *testing.T) {
	dir := t.TempDir()
	for _, mode := range []string{"group", "message"} {
		if _, err := buildMailErr(baseArgs(dir, "--fsync", mode)); err != nil {
			t.Errorf("--fsync %s: %v", mode, err)
		}
	}
	_, err := buildMailErr(baseArgs(dir, "--fsync", "never"))
	if err == nil || !strings.Contains(err.Error(), `--fsync "never": must be group or message`) {
		t.Errorf("--fsync never: %v", err)
	}
}
