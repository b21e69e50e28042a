package web

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// needTool skips when a third-party client is missing, except under CI,
// where a skip would hide a broken install and so fails instead.
func needTool(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s not installed (Debian package %s, listed in ci-packages.txt)", name, pkg)
		}
		t.Skipf("%s not installed (apt-get install %s)", name, pkg)
	}
	return p
}

func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	var stderr strings.Builder
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out)
}

func TestCurl(t *testing.T) {
	curl := needTool(t, "curl", "curl")
	dir := site1000(t)
	certDir := t.TempDir()
	cert, key := testCert(t, certDir, "server", "localhost", "127.0.0.1")
	s := startWeb(t, "--path", dir, "--listen", loopback,
		"--listen", "ssl:0:interface=127.0.0.1:privateKey="+key+":certKey="+cert)
	tlsAddr := s.ws.Addrs()[1].String()
	base := []string{"-sS", "--max-time", "30"}

	if out := run(t, curl, append(base, s.base+"/")...); out != "hello\n" {
		t.Errorf("curl HTTP/1.1: %q", out)
	}
	out := run(t, curl, append(base, "-o", "/dev/null", "-w", "%{http_code} %{http_version}", "--cacert", cert, "--http2", "https://"+tlsAddr+"/")...)
	if out != "200 2" {
		t.Errorf("curl --http2: %q", out)
	}
	if out := run(t, curl, append(base, "-r", "10-19", s.base+"/data.bin")...); out != "0123456789" {
		t.Errorf("curl -r: %q", out)
	}
	if out := run(t, curl, append(base, "--http2", "--cacert", cert, "-r", "0-1,5-6", "-w", "%{http_code}", "-o", "/dev/null", "https://"+tlsAddr+"/data.bin")...); out != "206" {
		t.Errorf("curl h2 multi-range: %q", out)
	}
	// -z: only if newer than the file's own time → 304 and nothing written.
	ref := filepath.Join(dir, "data.bin")
	got := filepath.Join(t.TempDir(), "got")
	if out := run(t, curl, append(base, "-z", ref, "-o", got, "-w", "%{http_code}", s.base+"/data.bin")...); out != "304" {
		t.Errorf("curl -z: %q", out)
	}
	old := time.Now().Add(-48 * time.Hour).Format("2 Jan 2006 15:04:05 GMT")
	if out := run(t, curl, append(base, "-z", old, "-o", got, "-w", "%{http_code}", s.base+"/data.bin")...); out != "200" {
		t.Errorf("curl -z old date: %q", out)
	}
	if out := run(t, curl, append(base, "-I", s.base+"/sub")...); !strings.Contains(out, "302") || !strings.Contains(strings.ToLower(out), "location: /sub/") {
		t.Errorf("curl -I /sub: %q", out)
	}
	if out := run(t, curl, append(base, "--path-as-is", "-o", "/dev/null", "-w", "%{http_code}", s.base+"/../../etc/passwd")...); out != "404" {
		t.Errorf("curl --path-as-is traversal: %q", out)
	}
	if out := run(t, curl, append(base, "--compressed", "-o", "/dev/null", "-w", "%{http_code}", s.base+"/sub/")...); out != "200" {
		t.Errorf("curl --compressed: %q", out)
	}
}

func TestNghttpAndH2load(t *testing.T) {
	nghttp := needTool(t, "nghttp", "nghttp2-client")
	h2load := needTool(t, "h2load", "nghttp2-client")
	dir := site1000(t)
	certDir := t.TempDir()
	cert, key := testCert(t, certDir, "server", "localhost", "127.0.0.1")
	s := startWeb(t, "--path", dir, "--listen", "ssl:0:interface=127.0.0.1:privateKey="+key+":certKey="+cert)
	url := "https://" + s.addr

	out := run(t, nghttp, "-v", "-n", "-t", "30", url+"/data.bin")
	if !strings.Contains(out, ":status: 200") || !strings.Contains(out, "h2") {
		t.Errorf("nghttp:\n%s", out)
	}
	if out := run(t, nghttp, "-t", "30", url+"/"); out != "hello\n" {
		t.Errorf("nghttp body: %q", out)
	}
	out = run(t, nghttp, "-v", "-n", "-t", "30", "-H", "range: bytes=10-19", url+"/data.bin")
	if !strings.Contains(out, ":status: 206") {
		t.Errorf("nghttp range:\n%s", out)
	}
	out = run(t, h2load, "-n", "400", "-c", "4", "-m", "10", url+"/data.bin", url+"/sub/", url+"/")
	if !strings.Contains(out, "400 succeeded, 0 failed, 0 errored") {
		t.Errorf("h2load:\n%s", out)
	}
	if !strings.Contains(out, "Application protocol: h2") {
		t.Errorf("h2load did not use h2:\n%s", out)
	}
}
