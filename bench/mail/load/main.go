// Command load sends 2 KiB messages over SMTP on N connections for a fixed
// time, reports messages per second, and then checks that every message
// that got its 250 is complete in the recipient's Maildir.
//
//	load -addr 127.0.0.1:8025 -conns 10 -duration 10s -maildir DIR/joe -run r1
package main

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"net/smtp"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8025", "SMTP server")
	conns := flag.Int("conns", 1, "concurrent connections")
	dur := flag.Duration("duration", 10*time.Second, "how long to send")
	size := flag.Int("size", 2048, "message size in bytes")
	to := flag.String("to", "joe@localhost", "recipient")
	maildir := flag.String("maildir", "", "the recipient's Maildir, to verify afterwards")
	run := flag.String("run", "r", "a tag that makes this run's message ids unique")
	wait := flag.Duration("wait", 20*time.Second, "wait this long for the server to listen")
	probe := flag.String("disk-probe", "", "instead of sending, time 200 rounds of write+fdatasync+rename+dir fsync of a 2 KiB file in this directory")
	flag.Parse()
	if *probe != "" {
		diskProbe(*probe)
		return
	}

	if err := waitFor(*addr, *wait); err != nil {
		fail(err)
	}
	var (
		mu       sync.Mutex
		accepted []string
		errs     atomic.Int64
		wg       sync.WaitGroup
	)
	deadline := time.Now().Add(*dur)
	start := time.Now()
	for c := range *conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []string
			defer func() { mu.Lock(); accepted = append(accepted, mine...); mu.Unlock() }()
			cl, err := smtp.Dial(*addr)
			if err != nil {
				errs.Add(1)
				return
			}
			defer cl.Close()
			if err := cl.Hello("load.example"); err != nil {
				errs.Add(1)
				return
			}
			for i := 0; time.Now().Before(deadline); i++ {
				id := fmt.Sprintf("%s-c%d-m%d", *run, c, i)
				if err := sendOne(cl, *to, id, *size); err != nil {
					errs.Add(1)
					return
				}
				mine = append(mine, id)
			}
			cl.Quit()
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	rate := float64(len(accepted)) / elapsed.Seconds()
	lost := -1
	if *maildir != "" {
		lost = verify(*maildir, *run, accepted, *size)
	}
	// One machine-readable line: accepted rate lost errors.
	fmt.Printf("accepted=%d rate=%.0f lost=%d errors=%d\n", len(accepted), rate, lost, errs.Load())
}

func sendOne(cl *smtp.Client, to, id string, size int) error {
	if err := cl.Mail("load@example.com"); err != nil {
		return err
	}
	if err := cl.Rcpt(to); err != nil {
		return err
	}
	w, err := cl.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(body(id, size)); err != nil {
		return err
	}
	return w.Close()
}

// body is a message of about size bytes: a header naming it, then lines
// of filler, then "END id" so a cut-off copy is caught.
func body(id string, size int) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: load@example.com\r\nTo: joe@localhost\r\nSubject: %s\r\n\r\n", id)
	line := strings.Repeat("0123456789abcdef", 4) + "\r\n"
	for b.Len() < size-len(id)-8 {
		b.WriteString(line)
	}
	fmt.Fprintf(&b, "END %s\r\n", id)
	return b.Bytes()
}

// verify reads every file of the Maildir's new/ and cur/ and counts the
// accepted messages that are missing or incomplete.
func verify(dir, run string, accepted []string, size int) int {
	subj := regexp.MustCompile(`(?m)^Subject: (` + regexp.QuoteMeta(run) + `-\S+)$`)
	complete := map[string]bool{}
	for _, sub := range []string{"new", "cur"} {
		ents, _ := os.ReadDir(filepath.Join(dir, sub))
		for _, e := range ents {
			data, err := os.ReadFile(filepath.Join(dir, sub, e.Name()))
			if err != nil {
				continue
			}
			m := subj.FindSubmatch(data)
			if m == nil {
				continue
			}
			id := string(m[1])
			want := bytes.ReplaceAll(body(id, size), []byte("\r\n"), []byte("\n"))
			_, b, _ := bytes.Cut(want, []byte("\n\n"))
			if bytes.HasSuffix(data, b) {
				complete[id] = true
			}
		}
	}
	lost := 0
	for _, id := range accepted {
		if !complete[id] {
			lost++
		}
	}
	return lost
}

func waitFor(addr string, d time.Duration) error {
	end := time.Now().Add(d)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if time.Now().After(end) {
			return fmt.Errorf("%s not listening after %s: %v", addr, d, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "load:", err)
	os.Exit(1)
}

// diskProbe prints what one durable Maildir delivery costs on this disk
// right now: the floor under one connection's latency.
func diskProbe(dir string) {
	tmp, newDir := filepath.Join(dir, "tmp"), filepath.Join(dir, "new")
	os.MkdirAll(tmp, 0o700)
	os.MkdirAll(newDir, 0o700)
	d, err := os.Open(newDir)
	if err != nil {
		fail(err)
	}
	defer d.Close()
	data := make([]byte, 2048)
	const n = 200
	start := time.Now()
	for i := range n {
		name := fmt.Sprintf("probe%d", i)
		f, err := os.Create(filepath.Join(tmp, name))
		if err != nil {
			fail(err)
		}
		f.Write(data)
		f.Sync()
		f.Close()
		os.Rename(filepath.Join(tmp, name), filepath.Join(newDir, name))
		d.Sync()
	}
	fmt.Printf("durable-write=%.3fms\n", float64(time.Since(start).Microseconds())/1000/n)
	os.RemoveAll(tmp)
	os.RemoveAll(newDir)
}
