package web

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// site1000 is a document root with a 1000-byte file, a subdirectory
// without an index, hostile names and a dotfile.
func site1000(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	var thousand strings.Builder
	for i := 0; thousand.Len() < 1000; i++ {
		thousand.WriteString(strconv.Itoa(i % 10))
	}
	writeFiles(t, dir, map[string]string{
		"index.html":                "hello\n",
		"data.bin":                  thousand.String()[:1000],
		"sub/a.txt":                 "a\n",
		"sub/B.txt":                 "bb\n",
		"sub/.dot":                  "secret\n",
		"sub/we ird&<name>.html":    "x",
		"sub/<script>alert(1).html": "x",
		"sub/dir/":                  "",
		".env":                      "PASSWORD=1\n",
		".git/config":               "[core]\n",
		".well-known/security.txt":  "Contact: x\n",
		"noext":                     "plain\n",
	})
	return dir
}

// TestScenario46 is acceptance scenario 46 of the reference, point by point.
func TestScenario46(t *testing.T) {
	dir := site1000(t)
	if err := os.Symlink("/etc/hostname", filepath.Join(dir, "escape")); err != nil {
		t.Fatal(err)
	}
	s := startWeb(t, "--listen", loopback, "--path", dir)
	c := client(t)

	resp, _ := do(t, c, "GET", s.base+"/sub")
	wantStatus(t, resp, http.StatusFound)
	if loc := resp.Header.Get("Location"); loc != "/sub/" {
		t.Errorf("Location %q", loc)
	}

	resp, body := do(t, c, "GET", s.base+"/sub/")
	wantStatus(t, resp, 200)
	for _, want := range []string{
		"Directory listing for /sub/",
		`<a href="we%20ird%26%3Cname%3E.html">we ird&amp;&lt;name&gt;.html</a>`,
		`<a href="%3Cscript%3Ealert%281%29.html">&lt;script&gt;alert(1).html</a>`,
		`<a href="dir/">dir/</a>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("listing lacks %q", want)
		}
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, ".dot") {
		t.Errorf("listing shows a raw <script> or a dotfile:\n%s", body)
	}

	resp, _ = do(t, c, "GET", s.base+"/missing")
	wantStatus(t, resp, 404)

	resp, body = do(t, c, "HEAD", s.base+"/data.bin")
	wantStatus(t, resp, 200)
	if body != "" || resp.ContentLength != 1000 {
		t.Errorf("HEAD: body %q, length %d", body, resp.ContentLength)
	}

	resp, body = do(t, c, "GET", s.base+"/data.bin", "Range: bytes=10-19")
	wantStatus(t, resp, 206)
	if cr := resp.Header.Get("Content-Range"); cr != "bytes 10-19/1000" || body != "0123456789" {
		t.Errorf("range: %q %q", cr, body)
	}

	resp, _ = do(t, c, "GET", s.base+"/data.bin", "Range: bytes=5000-6000")
	wantStatus(t, resp, 416)
	if cr := resp.Header.Get("Content-Range"); cr != "bytes */1000" {
		t.Errorf("416 Content-Range %q", cr)
	}

	resp, _ = do(t, c, "GET", s.base+"/data.bin")
	lm := resp.Header.Get("Last-Modified")
	resp, body = do(t, c, "GET", s.base+"/data.bin", "If-Modified-Since: "+lm)
	wantStatus(t, resp, 304)
	if body != "" {
		t.Errorf("304 with a body")
	}

	resp, _ = do(t, c, "POST", s.base+"/data.bin")
	wantStatus(t, resp, 405)
	if allow := resp.Header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "HEAD") {
		t.Errorf("Allow %q", allow)
	}

	resp, _ = raw(t, s.addr, "GET /../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n")
	wantStatus(t, resp, 404)

	resp, _ = do(t, c, "GET", s.base+"/escape")
	wantStatus(t, resp, 404)
}

func TestFollowSymlinks(t *testing.T) {
	dir := t.TempDir()
	outside := t.TempDir()
	writeFiles(t, outside, map[string]string{"secret.txt": "outside\n", "d/x.txt": "x\n"})
	writeFiles(t, dir, map[string]string{"in.txt": "inside\n"})
	for link, target := range map[string]string{
		"out.txt": filepath.Join(outside, "secret.txt"),
		"outdir":  filepath.Join(outside, "d"),
		"rel.txt": "../" + filepath.Base(outside) + "/secret.txt",
		"alias":   "in.txt", // stays inside: always served
	} {
		if err := os.Symlink(target, filepath.Join(dir, link)); err != nil {
			t.Fatal(err)
		}
	}
	c := client(t)
	s := startWeb(t, "--listen", loopback, "--path", dir)
	for _, p := range []string{"/out.txt", "/outdir/x.txt", "/outdir/", "/rel.txt"} {
		resp, _ := do(t, c, "GET", s.base+p)
		wantStatus(t, resp, 404)
	}
	resp, body := do(t, c, "GET", s.base+"/alias")
	wantStatus(t, resp, 200)
	if body != "inside\n" {
		t.Errorf("alias: %q", body)
	}
	_, listing := do(t, c, "GET", s.base+"/")
	if strings.Contains(listing, "out.txt") || !strings.Contains(listing, "alias") {
		t.Errorf("listing shows links out of the root, or hides links in it:\n%s", listing)
	}

	f := startWeb(t, "--listen", loopback, "--path", dir, "--follow-symlinks")
	for p, want := range map[string]string{"/out.txt": "outside\n", "/outdir/x.txt": "x\n", "/rel.txt": "outside\n"} {
		resp, body := do(t, c, "GET", f.base+p)
		wantStatus(t, resp, 200)
		if body != want {
			t.Errorf("%s: %q", p, body)
		}
	}
}

func TestDotfiles(t *testing.T) {
	dir := site1000(t)
	c := client(t)
	s := startWeb(t, "--listen", loopback, "--path", dir)
	for _, p := range []string{"/.env", "/.git/config", "/.git/", "/sub/.dot", "/.%65nv"} {
		resp, _ := do(t, c, "GET", s.base+p)
		wantStatus(t, resp, 404)
	}
	resp, body := do(t, c, "GET", s.base+"/.well-known/security.txt")
	wantStatus(t, resp, 200)
	if body != "Contact: x\n" {
		t.Errorf(".well-known: %q", body)
	}
	_, listing := do(t, c, "GET", s.base+"/sub/", "Accept: text/plain")
	if strings.Contains(listing, ".dot") {
		t.Errorf("dotfile listed: %q", listing)
	}

	h := startWeb(t, "--listen", loopback, "--path", dir, "--show-hidden")
	resp, body = do(t, c, "GET", h.base+"/.env")
	wantStatus(t, resp, 200)
	if body != "PASSWORD=1\n" {
		t.Errorf("--show-hidden: %q", body)
	}
	_, listing = do(t, c, "GET", h.base+"/sub/", "Accept: text/plain")
	if !strings.Contains(listing, ".dot\n") {
		t.Errorf("--show-hidden listing: %q", listing)
	}
}

func TestListingFormats(t *testing.T) {
	dir := site1000(t)
	c := client(t)
	s := startWeb(t, "--listen", loopback, "--path", dir)

	resp, body := do(t, c, "GET", s.base+"/sub/", "Accept: application/json")
	wantStatus(t, resp, 200)
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	var got struct {
		Path    string
		Entries []struct {
			Name, Href, Type string
			Size             *int64
		}
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	var names []string
	for _, e := range got.Entries {
		names = append(names, e.Name)
	}
	// Directories first, then files in byte order.
	want := "dir <script>alert(1).html B.txt a.txt we ird&<name>.html"
	if strings.Join(names, " ") != want {
		t.Errorf("JSON names %q, want %q", strings.Join(names, " "), want)
	}
	if got.Entries[0].Type != "directory" || got.Entries[3].Size == nil || *got.Entries[3].Size != 2 {
		t.Errorf("JSON entries %+v", got.Entries)
	}

	resp, body = do(t, c, "GET", s.base+"/sub/", "Accept: text/plain")
	if resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" || !strings.HasPrefix(body, "dir/\n<script>") {
		t.Errorf("text listing %q", body)
	}
	if resp.Header.Get("Vary") != "Accept" {
		t.Errorf("listing Vary %q", resp.Header.Get("Vary"))
	}
	resp, body = do(t, c, "HEAD", s.base+"/sub/")
	wantStatus(t, resp, 200)
	if body != "" {
		t.Errorf("HEAD listing has a body")
	}

	n := startWeb(t, "--listen", loopback, "--path", dir, "--no-list")
	resp, _ = do(t, c, "GET", n.base+"/sub/")
	wantStatus(t, resp, 403)
	resp, body = do(t, c, "GET", n.base+"/")
	if resp.StatusCode != 200 || body != "hello\n" {
		t.Errorf("index under --no-list: %d %q", resp.StatusCode, body)
	}
}

func TestFormatSize(t *testing.T) {
	for n, want := range map[int64]string{0: "0B", 9: "9B", 1023: "1023B", 1024: "1K", 3 << 20: "3M", 5<<30 + 1: "5G"} {
		if got := formatSize(n); got != want {
			t.Errorf("formatSize(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestConditionalRequests(t *testing.T) {
	dir := site1000(t)
	c := client(t)
	s := startWeb(t, "--listen", loopback, "--path", dir)
	resp, _ := do(t, c, "GET", s.base+"/data.bin")
	etag, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	if etag == "" || lm == "" || resp.Header.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("validators: ETag %q, Last-Modified %q", etag, lm)
	}
	old := time.Unix(0, 0).UTC().Format(http.TimeFormat)
	for _, tc := range []struct {
		name    string
		headers []string
		code    int
	}{
		{"If-None-Match match", []string{"If-None-Match: " + etag}, 304},
		{"If-None-Match list", []string{`If-None-Match: "x", ` + etag}, 304},
		{"If-None-Match star", []string{"If-None-Match: *"}, 304},
		{"If-None-Match other", []string{`If-None-Match: "other"`}, 200},
		{"If-None-Match wins over IMS", []string{`If-None-Match: "other"`, "If-Modified-Since: " + lm}, 200},
		{"IMS older", []string{"If-Modified-Since: " + old}, 200},
		{"IMS garbage", []string{"If-Modified-Since: yesterday"}, 200},
		{"If-Match match", []string{"If-Match: " + etag}, 200},
		{"If-Match other", []string{`If-Match: "other"`}, 412},
		{"IUS older", []string{"If-Unmodified-Since: " + old}, 412},
		{"If-Range match", []string{"If-Range: " + etag, "Range: bytes=0-1"}, 206},
		{"If-Range stale", []string{`If-Range: "other"`, "Range: bytes=0-1"}, 200},
		{"If-Range date", []string{"If-Range: " + lm, "Range: bytes=0-1"}, 206},
		{"If-Range stale, bad range", []string{`If-Range: "other"`, "Range: bytes=9-1"}, 200},
		{"bad range", []string{"Range: bytes=9-1"}, 416},
		{"multi range", []string{"Range: bytes=0-1,5-6"}, 206},
		{"overlapping ranges", []string{"Range: bytes=0-500,100-600,200-700"}, 200},
		{"unknown unit", []string{"Range: pages=1-2"}, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, _ := do(t, c, "GET", s.base+"/data.bin", tc.headers...)
			wantStatus(t, resp, tc.code)
		})
	}
	resp, _ = do(t, c, "HEAD", s.base+"/data.bin", "Range: bytes=0-1")
	wantStatus(t, resp, 200) // Range applies to GET only
	resp, body := do(t, c, "GET", s.base+"/data.bin", "Range: bytes=0-1,5-6")
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "multipart/byteranges; boundary=") || !strings.Contains(body, "Content-Range: bytes 5-6/1000") {
		t.Errorf("multipart: %q\n%s", resp.Header.Get("Content-Type"), body)
	}
}

func TestIndexAndSingleFile(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a/index.htm": "htm", "a/index": "bare", "b/home.html": "home", "c/index.html": "html", "f.txt": "file\n"})
	c := client(t)
	s := startWeb(t, "--listen", loopback, "--path", dir)
	for p, want := range map[string]string{"/a/": "bare", "/c/": "html"} {
		if _, body := do(t, c, "GET", s.base+p); body != want {
			t.Errorf("%s: %q, want %q", p, body, want)
		}
	}
	i := startWeb(t, "--listen", loopback, "--path", dir, "--index", "home.html", "--index", "index.htm")
	for p, want := range map[string]string{"/a/": "htm", "/b/": "home"} {
		if _, body := do(t, c, "GET", i.base+p); body != want {
			t.Errorf("--index %s: %q, want %q", p, body, want)
		}
	}
	f := startWeb(t, "--listen", loopback, "--path", filepath.Join(dir, "f.txt"))
	for p, code := range map[string]int{"/": 200, "/f.txt": 200, "/other": 404, "/f.txt/": 200} {
		resp, body := do(t, c, "GET", f.base+p)
		wantStatus(t, resp, code)
		if code == 200 && body != "file\n" {
			t.Errorf("single file %s: %q", p, body)
		}
	}
	resp, _ := do(t, c, "GET", s.base+"/f.txt/")
	wantStatus(t, resp, 404)
}

func TestIgnoreExt(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"page.html": "page", "doc.txt": "doc", "doc.md": "md"})
	c := client(t)
	s := startWeb(t, "--listen", loopback, "--path", dir)
	resp, _ := do(t, c, "GET", s.base+"/page")
	wantStatus(t, resp, 404)
	e := startWeb(t, "--listen", loopback, "--path", dir, "--ignore-ext", ".html", "--ignore-ext", "txt")
	for p, want := range map[string]string{"/page": "page", "/doc": "doc"} {
		if _, body := do(t, c, "GET", e.base+p); body != want {
			t.Errorf("--ignore-ext %s: %q", p, body)
		}
	}
	a := startWeb(t, "--listen", loopback, "--path", dir, "--allow-ignore-ext")
	if _, body := do(t, c, "GET", a.base+"/doc"); body != "md" {
		t.Errorf("--allow-ignore-ext: %q (want the first doc.* in byte order)", body)
	}
}

func TestTypesAndHeaders(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"a.svg": "<svg/>", "a.webm": "x", "a.wasm": "x", "a.css": "x", "noext": "x", "a.unknownext": "x", "a.tar.gz": "x"})
	c := client(t)
	s := startWeb(t, "--listen", loopback, "--path", dir, "--add-header", "X-Frame-Options: DENY", "--add-header", "X-Test:  two words ")
	for p, want := range map[string]string{
		"/a.svg": "image/svg+xml", "/a.webm": "video/webm", "/a.wasm": "application/wasm",
		"/a.css": "text/css; charset=utf-8", "/noext": "application/octet-stream",
		"/a.unknownext": "application/octet-stream", "/a.tar.gz": "application/gzip",
	} {
		resp, _ := do(t, c, "GET", s.base+p)
		if ct := resp.Header.Get("Content-Type"); ct != want {
			t.Errorf("%s: Content-Type %q, want %q", p, ct, want)
		}
		if resp.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s: Content-Encoding %q", p, resp.Header.Get("Content-Encoding"))
		}
	}
	for _, p := range []string{"/a.svg", "/missing"} {
		resp, _ := do(t, c, "GET", s.base+p)
		if resp.Header.Get("X-Frame-Options") != "DENY" || resp.Header.Get("X-Test") != "two words" || resp.Header.Get("Server") != "gotwistd" {
			t.Errorf("%s: headers %v", p, resp.Header)
		}
	}
	m := startWeb(t, "--listen", loopback, "--path", dir, "-m", "text/html")
	resp, _ := do(t, c, "GET", m.base+"/noext")
	if ct := resp.Header.Get("Content-Type"); ct != "text/html" {
		t.Errorf("-m text/html: %q", ct)
	}
}

func TestMethods(t *testing.T) {
	dir := site1000(t)
	c := client(t)
	s := startWeb(t, "--listen", loopback, "--path", dir)
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{"POST", "/", 405}, {"PUT", "/data.bin", 405}, {"DELETE", "/sub/", 405},
		{"OPTIONS", "/data.bin", 204}, {"BREW", "/data.bin", 501}, {"POST", "/missing", 405},
	} {
		resp, _ := do(t, c, tc.method, s.base+tc.path)
		wantStatus(t, resp, tc.code)
		if tc.code != 501 && resp.Header.Get("Allow") != allowedMethods {
			t.Errorf("%s %s: Allow %q", tc.method, tc.path, resp.Header.Get("Allow"))
		}
	}
	resp, _ := raw(t, s.addr, "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n")
	wantStatus(t, resp, 204)
}

func TestPrecompressedAndGzip(t *testing.T) {
	dir := t.TempDir()
	text := strings.Repeat("all work and no play makes jack a dull boy\n", 100)
	writeFiles(t, dir, map[string]string{
		"app.js": "var x = 1;\n" + text, "app.js.br": "BROTLI", "app.js.gz": "GZIPPED",
		"big.txt": text, "small.txt": "tiny", "img.png": text,
	})
	c := client(t)
	s := startWeb(t, "--listen", loopback, "--path", dir)
	for _, tc := range []struct {
		ae, enc, body string
	}{
		{"gzip, br", "br", "BROTLI"},
		{"gzip;q=1, br;q=0.5", "gzip", "GZIPPED"},
		{"br;q=0, gzip", "gzip", "GZIPPED"},
		{"*", "br", "BROTLI"},
		{"identity", "", "var x"},
	} {
		resp, body := do(t, c, "GET", s.base+"/app.js", "Accept-Encoding: "+tc.ae)
		if resp.Header.Get("Content-Encoding") != tc.enc || !strings.HasPrefix(body, tc.body) {
			t.Errorf("Accept-Encoding %q: encoding %q body %.10q", tc.ae, resp.Header.Get("Content-Encoding"), body)
		}
		if resp.Header.Get("Vary") != "Accept-Encoding" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
			t.Errorf("Accept-Encoding %q: Vary %q, type %q", tc.ae, resp.Header.Get("Vary"), resp.Header.Get("Content-Type"))
		}
	}
	resp, body := do(t, c, "GET", s.base+"/big.txt", "Accept-Encoding: gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" || !strings.HasPrefix(resp.Header.Get("ETag"), "W/") {
		t.Fatalf("gzip on the fly: %v", resp.Header)
	}
	zr, err := gzip.NewReader(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if string(plain) != text {
		t.Errorf("gunzipped body differs")
	}
	resp, _ = do(t, c, "GET", s.base+"/big.txt", "Accept-Encoding: gzip", "If-None-Match: "+resp.Header.Get("ETag"))
	wantStatus(t, resp, 304)
	resp, body = do(t, c, "GET", s.base+"/big.txt", "Accept-Encoding: gzip", "Range: bytes=0-3")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("gzip with Range: %d %v", resp.StatusCode, resp.Header)
	}
	resp, _ = do(t, c, "HEAD", s.base+"/big.txt", "Accept-Encoding: gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Errorf("HEAD gzip: %v", resp.Header)
	}
	for _, p := range []string{"/small.txt", "/img.png"} {
		resp, _ := do(t, c, "GET", s.base+p, "Accept-Encoding: gzip")
		if resp.Header.Get("Content-Encoding") != "" {
			t.Errorf("%s gzipped", p)
		}
	}
	n := startWeb(t, "--listen", loopback, "--path", dir, "--no-gzip", "--no-precompressed")
	for _, p := range []string{"/big.txt", "/app.js"} {
		resp, body := do(t, c, "GET", n.base+p, "Accept-Encoding: gzip, br")
		if resp.Header.Get("Content-Encoding") != "" || !bytes.Contains([]byte(body), []byte("jack")) {
			t.Errorf("--no-gzip --no-precompressed %s: %v", p, resp.Header)
		}
	}
}

func TestLargeFileSendfile(t *testing.T) {
	dir := t.TempDir()
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB, several sendfile chunks
	if err := os.WriteFile(filepath.Join(dir, "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	c := client(t)
	s := startWeb(t, "--listen", loopback, "--path", dir)
	resp, body := do(t, c, "GET", s.base+"/big.bin")
	wantStatus(t, resp, 200)
	if body != string(big) {
		t.Fatalf("body of %d bytes differs", len(body))
	}
	resp, body = do(t, c, "GET", s.base+"/big.bin", "Range: bytes=300000-700000")
	wantStatus(t, resp, 206)
	if body != string(big[300000:700001]) {
		t.Fatalf("range body differs")
	}
}

func TestSpecialFilesRefused(t *testing.T) {
	dir := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(dir, "fifo"), 0o644); err != nil {
		t.Skip("no mkfifo here:", err)
	}
	c := client(t)
	s := startWeb(t, "--listen", loopback, "--path", dir)
	resp, _ := do(t, c, "GET", s.base+"/fifo") // must not block on the FIFO
	wantStatus(t, resp, 404)
	_, listing := do(t, c, "GET", s.base+"/", "Accept: text/plain")
	if strings.Contains(listing, "fifo") {
		t.Errorf("FIFO listed")
	}
}

func TestDemoPage(t *testing.T) {
	s := startWeb(t, "--listen", loopback)
	c := client(t)
	resp, body := do(t, c, "GET", s.base+"/")
	wantStatus(t, resp, 200)
	if !strings.Contains(body, "gotwistd Web Demo") {
		t.Errorf("demo: %q", body)
	}
	resp, _ = do(t, c, "GET", s.base+"/x")
	wantStatus(t, resp, 404)
}

func TestMissingRootFailsStart(t *testing.T) {
	_, err := tryStartWeb(t, "--listen", loopback, "--path", filepath.Join(t.TempDir(), "nope"))
	if err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("start with a missing --path: %v", err)
	}
}
