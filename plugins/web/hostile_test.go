package web

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gotwistd/gotwistd/runner"
)

// TestTraversalSpellings sends every spelling of "go up" we know, raw,
// at a root whose parent holds a canary file, and checks that the canary
// never comes back and that each answer is 400 or 404.
func TestTraversalSpellings(t *testing.T) {
	parent := t.TempDir()
	root := filepath.Join(parent, "root")
	writeFiles(t, parent, map[string]string{"canary.txt": "CANARY\n", "root/sub/f.txt": "f\n", "root/a\\b": "backslash\n"})
	s := startWeb(t, "--listen", loopback, "--path", root)
	for _, target := range []string{
		"/../canary.txt", "/../../../../etc/passwd", "/sub/../../canary.txt",
		"/%2e%2e/canary.txt", "/%2E%2E/canary.txt", "/.%2e/canary.txt", "/%2e./canary.txt",
		"/..%2fcanary.txt", "/%2e%2e%2fcanary.txt", "/sub/..%2f..%2fcanary.txt",
		"/..%5ccanary.txt", "/sub/..%5c..%5ccanary.txt", "/..\\canary.txt",
		"/%252e%252e/canary.txt", "/%25%32%65%25%32%65/canary.txt",
		"/%c0%ae%c0%ae/canary.txt", "/%e0%80%ae%e0%80%ae/canary.txt",
		"/..%00/canary.txt", "/canary.txt%00.html", "/%00",
		"/./canary.txt", "/sub/./../../canary.txt", "/..;/canary.txt",
		"//../canary.txt", "/sub//..//..//canary.txt",
		"http://x/../canary.txt", "http://x/%2e%2e/canary.txt",
		"/a%5cb", "/a\\b",
	} {
		resp, body := raw(t, s.addr, "GET "+target+" HTTP/1.1\r\nHost: x\r\n\r\n")
		if strings.Contains(body, "CANARY") || strings.Contains(body, "root:") {
			t.Errorf("%s: leaked %q", target, body)
		}
		if resp.StatusCode != 404 && resp.StatusCode != 400 {
			t.Errorf("%s: status %d, want 404 or 400", target, resp.StatusCode)
		}
	}
}

// TestAbsurdRanges: thousands of ranges, overlapping ranges and reversed
// ones never multiply the answer.
func TestAbsurdRanges(t *testing.T) {
	dir := site1000(t)
	s := startWeb(t, "--listen", loopback, "--path", dir)
	c := client(t)
	var many strings.Builder
	many.WriteString("bytes=")
	for i := 0; i < 2000; i++ {
		if i > 0 {
			many.WriteByte(',')
		}
		many.WriteString("0-0")
	}
	var distinct strings.Builder
	distinct.WriteString("bytes=")
	for i := 0; i < 500; i++ {
		if i > 0 {
			distinct.WriteByte(',')
		}
		distinct.WriteString(strconv.Itoa(i*2) + "-" + strconv.Itoa(i*2))
	}
	for _, tc := range []struct {
		name, rng string
		code      int
		maxBody   int
	}{
		{"2000 identical", many.String(), 200, 1000},
		{"500 distinct", distinct.String(), 200, 1000},
		{"overlapping", "bytes=0-999,0-999,0-999", 200, 1000},
		{"suffixes", "bytes=-1000,-1000", 200, 1000},
		{"reversed", "bytes=500-100", 416, 200},
		{"huge", "bytes=0-99999999999999999999999999", 206, 1000},
		{"negative", "bytes=-1-5", 416, 200},
		{"64 small ones", "bytes=" + strings.TrimSuffix(strings.Repeat("1-1,3-3,", 32), ","), 200, 1000},
	} {
		resp, body := do(t, c, "GET", s.base+"/data.bin", "Range: "+tc.rng)
		if resp.StatusCode != tc.code || len(body) > tc.maxBody {
			t.Errorf("%s: status %d, %d bytes; want %d, at most %d", tc.name, resp.StatusCode, len(body), tc.code, tc.maxBody)
		}
	}
}

// TestSlowloris trickles header bytes and expects the server to hang up
// once --read-header-timeout has passed, instead of waiting forever.
func TestSlowloris(t *testing.T) {
	dir := site1000(t)
	s := startWeb(t, "--listen", loopback, "--path", dir, "--read-header-timeout", "300ms")
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second)) // far beyond 300ms: only a hang trips it
	done := make(chan struct{})
	defer close(done)
	go func() { // one header byte every 50ms, never finishing the headers
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		msg := "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + strings.Repeat("a", 10000)
		for i := 0; i < len(msg); i++ {
			select {
			case <-done:
				return
			case <-tick.C:
			}
			if _, err := c.Write([]byte{msg[i]}); err != nil {
				return
			}
		}
	}()
	_, err = io.ReadAll(c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the server kept a slowloris connection open")
	}
}

func TestOversizedHeaders(t *testing.T) {
	dir := site1000(t)
	s := startWeb(t, "--listen", loopback, "--path", dir)
	resp, _ := raw(t, s.addr, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 64<<10)+"\r\n\r\n")
	wantStatus(t, resp, http.StatusRequestHeaderFieldsTooLarge)
	var many strings.Builder
	for i := 0; i < 5000; i++ {
		many.WriteString("X-H: v\r\n")
	}
	resp, _ = raw(t, s.addr, "GET / HTTP/1.1\r\nHost: x\r\n"+many.String()+"\r\n")
	wantStatus(t, resp, http.StatusRequestHeaderFieldsTooLarge)
	resp, _ = raw(t, s.addr, "GET /"+strings.Repeat("a", 20000)+" HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp.StatusCode != 431 && resp.StatusCode != 414 && resp.StatusCode != 404 {
		t.Errorf("20000-byte path: %d", resp.StatusCode)
	}
}

// TestSmuggling sends the classic desync shapes. Each must either be
// refused with 400 or answered once, so that nothing after the first
// request is taken as a second one; a request with Transfer-Encoding must
// be answered with the connection closed (RFC 9112 section 6.1).
func TestSmuggling(t *testing.T) {
	dir := site1000(t)
	s := startWeb(t, "--listen", loopback, "--path", dir)
	for _, tc := range []struct{ name, req string }{
		{"CL+TE", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"TE+CL", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n8\r\nSMUGGLED\r\n0\r\n\r\n"},
		{"two CL", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 44\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"CL list", "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0, 44\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"TE obfuscated", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"},
		{"TE twice", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n0\r\n\r\n"},
		{"TE with space", "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n"},
		{"bare LF", "GET / HTTP/1.1\nHost: x\n\n"},
		{"no Host", "GET / HTTP/1.1\r\n\r\n"},
		{"two Hosts", "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			responses := exchangeAll(t, s.addr, tc.req)
			if len(responses) == 0 {
				return // the server hung up: nothing was smuggled
			}
			if len(responses) > 1 {
				t.Fatalf("%d responses: %v", len(responses), responses)
			}
			if strings.Contains(tc.req, "Transfer-Encoding: chunked") && !strings.HasPrefix(responses[0], "400") {
				resp, _ := raw(t, s.addr, tc.req)
				if !resp.Close {
					t.Errorf("answered without closing: %v", resp.Header)
				}
			}
		})
	}
}

// exchangeAll writes req and reads responses until the server closes the
// connection, returning their status lines.
func exchangeAll(t *testing.T, addr, req string) []string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	go func() {
		_, _ = io.WriteString(c, req)
		_ = c.(*net.TCPConn).CloseWrite() // the end of our side ends keep-alive
	}()
	br := bufio.NewReader(c)
	var out []string
	for {
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("connection left open after %v", out)
			}
			return out
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		out = append(out, resp.Status)
		if resp.StatusCode == 400 || resp.Close {
			return out
		}
	}
}

// TestMaxConnections: with --max-connections 2, a third connection waits
// until one of the first two closes, then is served.
func TestMaxConnections(t *testing.T) {
	dir := site1000(t)
	s := startWeb(t, "--listen", loopback, "--path", dir, "--max-connections", "2")
	var held []net.Conn
	for i := 0; i < 2; i++ {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		// A complete request proves the connection was accepted.
		if _, err := io.WriteString(c, "GET /sub/a.txt HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err != nil || resp.StatusCode != 200 {
			t.Fatalf("conn %d: %v", i, err)
		}
		held = append(held, c)
	}
	third := make(chan int, 1)
	go func() {
		resp, _ := rawNoFatal(s.addr, "GET /sub/a.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		third <- resp
	}()
	held[0].Close()
	if code := <-third; code != 200 {
		t.Fatalf("third connection: %d", code)
	}
}

func rawNoFatal(addr, req string) (int, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		return 0, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestGracefulStop: a download in flight when Stop begins still finishes.
func TestGracefulStop(t *testing.T) {
	dir := t.TempDir()
	big := strings.Repeat("x", 8<<20)
	if err := os.WriteFile(filepath.Join(dir, "big"), []byte(big), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startWeb(t, "--listen", loopback, "--path", dir)
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := io.WriteString(c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil) // headers are out: the request is in flight
	if err != nil {
		t.Fatal(err)
	}
	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		stopped <- s.ws.Stop(ctx)
	}()
	n, err := io.Copy(io.Discard, resp.Body)
	if err != nil || n != int64(len(big)) {
		t.Fatalf("download cut by the stop: %d bytes, %v", n, err)
	}
	if err := <-stopped; err != nil {
		t.Fatalf("stop: %v", err)
	}
}

// TestWriteTimeout: a client that stops reading a large download is cut
// off after --write-timeout without progress.
func TestWriteTimeout(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "big"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(filepath.Join(dir, "big"), 64<<20); err != nil { // sparse: no disk used
		t.Fatal(err)
	}
	svc, err := runner.Build(Plugin(), []string{"--listen", loopback, "--path", dir, "--write-timeout", "200ms"}, runner.Env{})
	if err != nil {
		t.Fatal(err)
	}
	ws := svc.(*webService)
	closed := make(chan struct{}, 1)
	ws.servers[0].srv.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateClosed {
			closed <- struct{}{}
		}
	}
	ctx := context.Background()
	t.Cleanup(func() { _ = ws.Stop(ctx) })
	if err := ws.PrivilegedStart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ws.Start(ctx); err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", ws.Addrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.(*net.TCPConn).SetReadBuffer(4096)
	if _, err := io.WriteString(c, "GET /big HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	// Read nothing more: the server fills the socket buffers and stalls.
	select {
	case <-closed: // net/http closed it: the guard's write deadline fired
	case <-time.After(30 * time.Second): // only a server that never gives up gets here
		t.Fatal("a stalled reader kept its connection")
	}
}
