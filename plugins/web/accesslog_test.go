package web

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gotwistd/gotwistd/runner"
)

func readLines(t *testing.T, f string) []string {
	t.Helper()
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

var combinedLine = regexp.MustCompile(`^127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET /sub/a\.txt\?q=1 HTTP/1\.1" 200 2 "http://ref/" "agent \\"x\\"\\x09\\xFF"$`)

func TestAccessLogCombined(t *testing.T) {
	dir := site1000(t)
	logf := filepath.Join(t.TempDir(), "access.log")
	s := startWeb(t, "--listen", loopback, "--path", dir, "-l", logf, "--access-log-flush", "0")
	c := client(t)
	do(t, c, "GET", s.base+"/sub/a.txt?q=1", "Referer: http://ref/", "User-Agent: agent \"x\"\t\xff")
	do(t, c, "GET", s.base+"/missing")
	lines := readLines(t, logf)
	if len(lines) != 2 {
		t.Fatalf("%d lines: %q", len(lines), lines)
	}
	if !combinedLine.MatchString(lines[0]) {
		t.Errorf("line %q", lines[0])
	}
	if !strings.Contains(lines[1], `"GET /missing HTTP/1.1" 404 `) || !strings.HasSuffix(lines[1], `"-" "Go-http-client/1.1"`) {
		t.Errorf("404 line %q", lines[1])
	}

	// SIGHUP reopens: after an external rotation, lines go to a new file.
	if err := os.Rename(logf, logf+".old"); err != nil {
		t.Fatal(err)
	}
	if err := s.ws.Reload(context.Background()); err != nil {
		t.Fatal(err)
	}
	do(t, c, "GET", s.base+"/")
	if lines := readLines(t, logf); len(lines) != 1 || !strings.Contains(lines[0], `"GET / HTTP/1.1" 200 6`) {
		t.Errorf("after reopen: %q", lines)
	}
}

func TestAccessLogJSON(t *testing.T) {
	dir := site1000(t)
	logf := filepath.Join(t.TempDir(), "access.json")
	s := startWeb(t, "--listen", loopback, "--path", dir, "--logfile", logf, "--access-log-format", "json", "--access-log-flush", "1h")
	do(t, client(t), "HEAD", s.base+"/data.bin", "User-Agent: \xff\"\n")
	if b, _ := os.ReadFile(logf); len(b) != 0 {
		t.Errorf("a buffered line was written at once: %q", b)
	}
	if err := s.ws.Reload(context.Background()); err != nil { // SIGHUP flushes
		t.Fatal(err)
	}
	lines := readLines(t, logf)
	var e map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &e); err != nil {
		t.Fatalf("%v: %s", err, lines[0])
	}
	if e["method"] != "HEAD" || e["uri"] != "/data.bin" || e["status"] != 200.0 || e["user_agent"] != "\ufffd\"" || e["tls"] != false {
		t.Errorf("JSON line %s", lines[0])
	}
	if _, err := time.Parse(time.RFC3339Nano, e["time"].(string)); err != nil {
		t.Errorf("time %v", e["time"])
	}
}

// TestAccessLogToMainLog: without -l, lines go to the plugin's logger.
func TestAccessLogToMainLog(t *testing.T) {
	dir := site1000(t)
	var buf syncBuffer
	env := runner.Env{Logger: slog.New(slog.NewTextHandler(&buf, nil))}
	svc, err := runner.Build(Plugin(), []string{"--listen", loopback, "--path", dir}, env)
	if err != nil {
		t.Fatal(err)
	}
	ws := svc.(*webService)
	ctx := context.Background()
	if err := ws.PrivilegedStart(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ws.Start(ctx); err != nil {
		t.Fatal(err)
	}
	do(t, client(t), "GET", "http://"+ws.Addrs()[0].String()+"/")
	if err := ws.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), `\"GET / HTTP/1.1\" 200 6`) {
		t.Errorf("main log: %s", buf.String())
	}
}

func TestAccessLogRotation(t *testing.T) {
	logf := filepath.Join(t.TempDir(), "access.log")
	a := newAccessLog(accessLogSpec{file: logf, maxSizeMB: 1, maxBackups: 2}, nil)
	if err := a.open(); err != nil {
		t.Fatal(err)
	}
	defer a.close()
	req := httptest.NewRequest("GET", "/"+strings.Repeat("x", 1000), nil)
	for i := 0; i < 2100; i++ { // about 2.2 MB
		a.write(req, &recorder{status: 200, bytes: 1}, time.Now())
	}
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(logf), "*"))
	if len(matches) < 2 {
		t.Errorf("no rotation: %v", matches)
	}
	for _, m := range matches {
		if fi, _ := os.Stat(m); fi.Size() > 1<<20 {
			t.Errorf("%s is %d bytes", m, fi.Size())
		}
	}
}

func TestAppendEscaped(t *testing.T) {
	got := string(appendEscaped(nil, "a\"b\\c\r\nd\x7f\xffé"))
	want := `a\"b\\c\x0D\x0Ad\x7F\xFF\xC3\xA9`
	if got != want {
		t.Errorf("got %s want %s", got, want)
	}
	var v string
	if err := json.Unmarshal(appendJSONString(nil, "a\"\\\n\x00\u2028é\xff"), &v); err != nil || v != "a\"\\\n\x00\u2028é\ufffd" {
		t.Errorf("JSON string: %q %v", v, err)
	}
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}
