// Command load sends 2 KiB messages over SMTP on N connections for a fixed
// time, reports messages per second, and then checks that every message
// that got its 250 is complete in the recipient's Maildir.
//
//	load -addr 127.0.0.1:8025 -conns 10 -duration 10s -maildir DIR/joe -run r1
//	load -pipeline ...   # MAIL, RCPT and DATA in one write when the server offers PIPELINING
//
// The client is a small one of its own (net/textproto), the same for every
// server, so the only difference between runs is what the server offers:
// without -pipeline each command waits for its reply, as net/smtp does;
// with it a server that offers PIPELINING (RFC 2920) gets MAIL, RCPT and
// DATA in one write and answers them together, as Postfix's client does,
// and one that does not is still spoken to one command at a time.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"net"
	"net/textproto"
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
	pipeline := flag.Bool("pipeline", false, "pipeline MAIL, RCPT and DATA when the server offers PIPELINING")
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
			cl, err := dial(*addr, *pipeline)
			if err != nil {
				fmt.Fprintln(os.Stderr, "load:", err)
				errs.Add(1)
				return
			}
			defer cl.conn.Close()
			for i := 0; time.Now().Before(deadline); i++ {
				id := fmt.Sprintf("%s-c%d-m%d", *run, c, i)
				if err := cl.send(*to, id, body(id, *size)); err != nil {
					fmt.Fprintln(os.Stderr, "load:", err)
					errs.Add(1)
					return
				}
				mine = append(mine, id)
			}
			cl.quit()
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

// client speaks just enough SMTP to send messages as fast as the server
// lets it.
type client struct {
	conn     net.Conn
	text     *textproto.Conn
	pipeline bool // the server offers PIPELINING and -pipeline asks for it
}

func dial(addr string, pipeline bool) (*client, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	cl := &client{conn: conn, text: textproto.NewConn(conn)}
	if _, _, err := cl.text.ReadResponse(220); err != nil {
		conn.Close()
		return nil, fmt.Errorf("greeting: %w", err)
	}
	_, ext, err := cl.cmd(250, "EHLO load.example")
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("EHLO: %w", err)
	}
	for _, line := range strings.Split(ext, "\n") {
		if strings.EqualFold(strings.TrimSpace(line), "PIPELINING") {
			cl.pipeline = pipeline
		}
	}
	return cl, nil
}

// cmd sends one command and reads its reply.
func (cl *client) cmd(code int, line string) (int, string, error) {
	if err := cl.text.PrintfLine("%s", line); err != nil {
		return 0, "", err
	}
	return cl.text.ReadResponse(code)
}

// send sends one message (CRLF line ends, no line starting with a dot)
// and returns nil once the server answered 250 to its end.
func (cl *client) send(to, id string, msg []byte) error {
	mail, rcpt := "MAIL FROM:<load@example.com>", "RCPT TO:<"+to+">"
	if cl.pipeline {
		w := cl.text.Writer.W
		w.WriteString(mail + "\r\n" + rcpt + "\r\n" + "DATA\r\n")
		if err := w.Flush(); err != nil {
			return err
		}
		for _, code := range []int{250, 250, 354} {
			if _, _, err := cl.text.ReadResponse(code); err != nil {
				return fmt.Errorf("%s: %w", id, err)
			}
		}
	} else {
		for _, c := range []struct {
			code int
			line string
		}{{250, mail}, {250, rcpt}, {354, "DATA"}} {
			if _, _, err := cl.cmd(c.code, c.line); err != nil {
				return fmt.Errorf("%s: %w", id, err)
			}
		}
	}
	w := cl.text.Writer.W
	w.Write(msg)
	w.WriteString(".\r\n")
	if err := w.Flush(); err != nil {
		return err
	}
	if _, _, err := cl.text.ReadResponse(250); err != nil {
		return fmt.Errorf("%s: %w", id, err)
	}
	return nil
}

func (cl *client) quit() { cl.cmd(221, "QUIT") }

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
	run := time.Now().UnixNano()
	for i := range n {
		name := fmt.Sprintf("probe%d-%d", run, i)
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
	// The files stay: on ext4 without a journal, deleting files makes
	// creating new ones in the same place slow for minutes after (the
	// allocator steps over recently freed inodes), which would tax the
	// measurements that follow.
}
