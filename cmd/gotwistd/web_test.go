package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"testing"
)

// A web daemon that gets one request and a SIGTERM logs, in order: starting
// up, the reactor, one "listening on" line per endpoint, the access line,
// the signal, one "closed" line per endpoint in reverse, shut down
// (scenario 25).
func TestWebDaemonLogOrder(t *testing.T) {
	dir := t.TempDir()
	os.Mkdir(filepath.Join(dir, "site"), 0o755)
	os.WriteFile(filepath.Join(dir, "site", "index.html"), []byte("hello"), 0o644)
	sock := filepath.Join(dir, "w.sock")
	r := gotwistd(t, dir, "web", "--listen", "tcp:0:interface=127.0.0.1", "--listen", "unix:"+sock, "--path", "site")
	if r.code != 0 {
		t.Fatalf("start: %d %q", r.code, r.stderr)
	}
	pid := pidOf(t, filepath.Join(dir, "twistd.pid"))
	killAtEnd(t, pid)
	logfile := filepath.Join(dir, "twistd.log")
	addr := listenAddr(t, fileText(logfile))

	resp, err := http.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != "hello" {
		t.Errorf("body %q", body)
	}
	// The unix endpoint serves too.
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}}
	if resp, err := c.Get("http://unix/"); err != nil || resp.StatusCode != 200 {
		t.Errorf("over unix: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	http.DefaultClient.CloseIdleConnections()
	c.CloseIdleConnections()

	if r := gotwistd(t, dir, "stop"); r.code != 0 {
		t.Fatalf("stop: %d %q", r.code, r.stderr)
	}
	waitGone(t, pid)
	lineOrder(t, readFile(t, logfile),
		"starting up", "reactor: netpoll",
		"listening on tcp:0:interface=127.0.0.1", "listening on unix:"+sock,
		`"GET / HTTP/1.1" 200 5`,
		"received SIGTERM",
		"closed unix:"+sock, "closed tcp:0:interface=127.0.0.1",
		"server shut down.")
}
