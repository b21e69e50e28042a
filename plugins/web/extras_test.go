package web

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
)

func TestVhosts(t *testing.T) {
	def, a, w := t.TempDir(), t.TempDir(), t.TempDir()
	writeFiles(t, def, map[string]string{"index.html": "default"})
	writeFiles(t, a, map[string]string{"index.html": "site a"})
	writeFiles(t, w, map[string]string{"index.html": "wildcard"})
	s := startWeb(t, "--listen", loopback, "--path", def, "--vhost", "A.example="+a, "--vhost", "*.w.example="+w)
	c := client(t)
	for host, want := range map[string]string{
		"a.example": "site a", "A.EXAMPLE:8080": "site a", "a.example.": "site a",
		"x.w.example": "wildcard", "w.example": "default", "other": "default",
	} {
		if _, body := do(t, c, "GET", s.base+"/", "Host: "+host); body != want {
			t.Errorf("Host %s: %q, want %q", host, body, want)
		}
	}
}

func TestUserDirs(t *testing.T) {
	me, err := user.Current()
	if err != nil || me.HomeDir == "" {
		t.Skip("no current user with a home directory")
	}
	pub := filepath.Join(me.HomeDir, "public_html")
	if _, err := os.Stat(pub); err == nil {
		t.Skip(pub + " exists; not touching it")
	}
	if err := os.Mkdir(pub, 0o755); err != nil {
		t.Skip("cannot create " + pub + ": " + err.Error())
	}
	t.Cleanup(func() { os.RemoveAll(pub) })
	writeFiles(t, pub, map[string]string{"hi.txt": "hi from home\n"})
	s := startWeb(t, "--listen", loopback, "-u")
	c := client(t)
	resp, body := do(t, c, "GET", s.base+"/~"+me.Username+"/hi.txt")
	if resp.StatusCode != 200 || body != "hi from home\n" {
		t.Errorf("~user: %d %q", resp.StatusCode, body)
	}
	resp, _ = do(t, c, "GET", s.base+"/~"+me.Username)
	wantStatus(t, resp, 302)
	for _, p := range []string{"/~nosuchuser12345/", "/~../", "/~" + me.Username + "/../x"} {
		resp, _ := do(t, c, "GET", s.base+p)
		wantStatus(t, resp, 404)
	}
}

func TestCGI(t *testing.T) {
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Skip("no /bin/sh")
	}
	dir := t.TempDir()
	script := "#!/bin/sh\nprintf 'Content-Type: text/plain\\r\\nX-CGI: yes\\r\\n\\r\\n'\n" +
		"echo \"method=$REQUEST_METHOD script=$SCRIPT_NAME info=$PATH_INFO query=$QUERY_STRING\"\ncat\n"
	writeFiles(t, dir, map[string]string{"bin/run.cgi": script, "bin/noexec.cgi": script, "bin/plain.txt": "text"})
	if err := os.Chmod(filepath.Join(dir, "bin/run.cgi"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := startWeb(t, "--listen", loopback, "--path", dir, "--processor", ".cgi=cgi")
	c := client(t)
	resp, body := do(t, c, "GET", s.base+"/bin/run.cgi?a=1")
	if resp.StatusCode != 200 || resp.Header.Get("X-CGI") != "yes" || body != "method=GET script=/bin/run.cgi info= query=a=1\n" {
		t.Errorf("CGI GET: %d %v %q", resp.StatusCode, resp.Header, body)
	}
	req, _ := http.NewRequest("POST", s.base+"/bin/run.cgi/extra/path", strings.NewReader("posted"))
	r2, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(r2.Body)
	r2.Body.Close()
	if string(b) != "method=POST script=/bin/run.cgi info=/extra/path query=\nposted" {
		t.Errorf("CGI POST with PATH_INFO: %q", b)
	}
	resp, _ = do(t, c, "GET", s.base+"/bin/noexec.cgi")
	wantStatus(t, resp, 403)
	resp, _ = do(t, c, "POST", s.base+"/bin/plain.txt")
	wantStatus(t, resp, 405)

	// Without --processor the program is a file like any other.
	n := startWeb(t, "--listen", loopback, "--path", dir)
	if _, body := do(t, c, "GET", n.base+"/bin/run.cgi"); body != script {
		t.Errorf("no processor: %q", body)
	}
}

func TestBadOptions(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--listen", "tcp:abc"}, "not a number"},
		{[]string{"--listen", "udp:53"}, "stream endpoint"},
		{[]string{"--add-header", "NoColon"}, "--add-header"},
		{[]string{"--add-header", "Bad Name: x"}, "--add-header"},
		{[]string{"--mime-type", "not a type"}, "--mime-type"},
		{[]string{"--processor", ".py=twisted.web.script.ResourceScript"}, "only cgi"},
		{[]string{"--processor", "cgi"}, "--processor"},
		{[]string{"--proxy", "api=http://x"}, "--proxy"},
		{[]string{"--proxy", "/api=ftp://x"}, "http:// or https://"},
		{[]string{"--vhost", "noequals"}, "--vhost"},
		{[]string{"--vhost", "bad host!=/tmp"}, "--vhost"},
		{[]string{"--access-log-format", "xml"}, "combined or json"},
		{[]string{"--redirect-http"}, "ssl: endpoint"},
		{[]string{"--sni-dir", "/tmp"}, "ssl: endpoint"},
		{[]string{"--https", "abc"}, "port number"},
		{[]string{"--https", "8443", "-c", "/nonexistent/cert.pem", "-k", "/nonexistent/key.pem"}, "/nonexistent/key.pem"},
		{[]string{"--max-header-bytes", "10"}, "at least 1024"},
		{[]string{"--read-header-timeout", "0s"}, "--read-header-timeout"},
		{[]string{"--index", "a/b"}, "--index"},
		{[]string{"--max-connections", "-1"}, "--max-connections"},
	} {
		_, err := tryStartWeb(t, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to mention %q", tc.args, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%q: error of several lines: %q", tc.args, err)
		}
	}
}

func TestShortFlags(t *testing.T) {
	dir := site1000(t)
	logf := filepath.Join(t.TempDir(), "a.log")
	s := startWeb(t, "-p", loopback, "--path", dir, "-i", "a.txt", "-m", "text/plain", "-l", logf)
	if _, body := do(t, client(t), "GET", s.base+"/sub/"); body != "a\n" {
		t.Errorf("-i: %q", body)
	}
	if lines := readLines(t, logf); len(lines) != 1 {
		t.Errorf("-l: %q", lines)
	}
}

// TestTracebacks: a handler panic is a 500, with the panic and its stack
// only under --display-tracebacks.
func TestTracebacks(t *testing.T) {
	boom := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom at the handler") })
	for _, show := range []bool{false, true} {
		c := &config{site: siteOptions{tracebacks: show}}
		f := newFront(c, boom, nil, nil, nil, slog.New(slog.DiscardHandler))
		rec := httptest.NewRecorder()
		f.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		body := rec.Body.String()
		if rec.Code != 500 || strings.Contains(body, "boom") != show || strings.Contains(body, "goroutine") != show {
			t.Errorf("tracebacks %v: %d %q", show, rec.Code, body)
		}
	}
}

func TestUnixSocket(t *testing.T) {
	dir := site1000(t)
	sock := filepath.Join(t.TempDir(), "w.sock")
	logf := filepath.Join(t.TempDir(), "a.log")
	startWeb(t, "--listen", "unix:"+sock, "--path", dir, "-l", logf, "--access-log-flush", "0")
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	for _, p := range []string{"/", "/data.bin"} {
		resp, err := c.Get("http://unix" + p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(b) == 0 {
			t.Errorf("%s over unix: %d %d bytes", p, resp.StatusCode, len(b))
		}
	}
	if lines := readLines(t, logf); len(lines) != 2 || !strings.HasPrefix(lines[0], "- - - [") {
		t.Errorf("access lines for a unix peer: %q", lines)
	}
}
