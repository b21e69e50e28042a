package web

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// backend is a test server that echoes what it was asked, and upgrades
// /ws to a raw byte echo, like a websocket would.
func backend(t *testing.T) *httptest.Server {
	t.Helper()
	b := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ws" || r.URL.Path == "/v1/ws" {
			if r.Header.Get("Upgrade") != "echo" {
				http.Error(w, "no upgrade", 400)
				return
			}
			conn, brw, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n")
			_ = brw.Flush()
			_, _ = io.Copy(conn, brw)
			return
		}
		w.Header().Set("Server", "backend")
		w.Header().Set("X-Path", r.URL.Path)
		w.Header().Set("X-Query", r.URL.RawQuery)
		w.Header().Set("X-Fwd-For", r.Header.Get("X-Forwarded-For"))
		w.Header().Set("X-Fwd-Host", r.Header.Get("X-Forwarded-Host"))
		w.Header().Set("X-Fwd-Proto", r.Header.Get("X-Forwarded-Proto"))
		body, _ := io.ReadAll(r.Body)
		_, _ = w.Write([]byte(r.Method + " " + string(body)))
	}))
	t.Cleanup(b.Close)
	return b
}

func TestProxy(t *testing.T) {
	b := backend(t)
	dir := site1000(t)
	s := startWeb(t, "--listen", loopback, "--path", dir,
		"--proxy", "/api="+b.URL, "--proxy", "/api/v2="+b.URL+"/v2/", "--proxy", "/down=http://127.0.0.1:1",
		"--add-header", "X-Site: yes")
	c := client(t)
	for _, tc := range []struct{ path, wantPath string }{
		{"/api/users?id=7", "/users"},
		{"/api", "/"},
		{"/api/", "/"},
		{"/api/v2/x", "/v2/x"},
		{"/api/a%20b", "/a b"},
	} {
		resp, body := do(t, c, "GET", s.base+tc.path)
		wantStatus(t, resp, 200)
		if got := resp.Header.Get("X-Path"); got != tc.wantPath {
			t.Errorf("%s: backend saw %q, want %q", tc.path, got, tc.wantPath)
		}
		if body != "GET " {
			t.Errorf("%s: body %q", tc.path, body)
		}
	}
	resp, _ := do(t, c, "GET", s.base+"/api/users?id=7", "Host: example.org")
	if resp.Header.Get("X-Query") != "id=7" || resp.Header.Get("X-Fwd-For") != "127.0.0.1" ||
		resp.Header.Get("X-Fwd-Host") != "example.org" || resp.Header.Get("X-Fwd-Proto") != "http" {
		t.Errorf("forwarded headers: %v", resp.Header)
	}
	if resp.Header.Get("Server") != "backend" || resp.Header.Get("X-Site") != "yes" {
		t.Errorf("response headers: %v", resp.Header)
	}
	req, _ := http.NewRequest("POST", s.base+"/api/post", strings.NewReader("payload"))
	r2, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := io.ReadAll(r2.Body)
	r2.Body.Close()
	if string(pb) != "POST payload" {
		t.Errorf("POST through the proxy: %q", pb)
	}
	// Not under a prefix: the files.
	if _, body := do(t, c, "GET", s.base+"/apix"); strings.Contains(body, "GET") {
		t.Errorf("/apix went to the backend")
	}
	resp, _ = raw(t, s.addr, "GET /api/../secret HTTP/1.1\r\nHost: x\r\n\r\n")
	wantStatus(t, resp, 404)
	resp, _ = do(t, c, "GET", s.base+"/down/x")
	wantStatus(t, resp, 502)
	if resp.Header.Get("X-Site") != "yes" {
		t.Errorf("502 lacks --add-header")
	}
}

func TestProxyUpgrade(t *testing.T) {
	b := backend(t)
	s := startWeb(t, "--listen", loopback, "--proxy", "/="+b.URL)
	c, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	_, _ = io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\n")
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 101 {
		t.Fatalf("upgrade: %d", resp.StatusCode)
	}
	_, _ = io.WriteString(c, "ping")
	got := make([]byte, 4)
	if _, err := io.ReadFull(br, got); err != nil || string(got) != "ping" {
		t.Fatalf("echo through the upgraded connection: %q %v", got, err)
	}
}
