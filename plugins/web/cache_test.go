package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestFileCacheRevalidates: a cached file that changes in any way, even
// keeping its size and modification time, or that turns into a link out
// of the root, or disappears, is never served from the cache.
func TestFileCacheRevalidates(t *testing.T) {
	dir, outside := t.TempDir(), t.TempDir()
	writeFiles(t, dir, map[string]string{"f.txt": "version 1"})
	writeFiles(t, outside, map[string]string{"secret": "version X"})
	s := startWeb(t, "--listen", loopback, "--path", dir)
	c := client(t)
	get := func(want string, code int) {
		t.Helper()
		resp, body := do(t, c, "GET", s.base+"/f.txt")
		if resp.StatusCode != code || (code == 200 && body != want) {
			t.Fatalf("got %d %q, want %d %q", resp.StatusCode, body, code, want)
		}
	}
	get("version 1", 200)
	get("version 1", 200) // now from the cache
	p := filepath.Join(dir, "f.txt")
	fi, _ := os.Stat(p)
	if err := os.WriteFile(p, []byte("version 2"), 0o644); err != nil { // same size
		t.Fatal(err)
	}
	if err := os.Chtimes(p, fi.ModTime(), fi.ModTime()); err != nil { // same mtime
		t.Fatal(err)
	}
	get("version 2", 200)
	get("version 2", 200)
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret"), p); err != nil {
		t.Fatal(err)
	}
	get("", 404)
	if err := os.Remove(p); err != nil {
		t.Fatal(err)
	}
	get("", 404)
}

func TestFileCacheBound(t *testing.T) {
	dir := t.TempDir()
	c := newFileCache(10 << 10)
	for i := 0; i < 20; i++ {
		name := filepath.Join(dir, string(rune('a'+i)))
		if err := os.WriteFile(name, make([]byte, 1000), 0o644); err != nil {
			t.Fatal(err)
		}
		fi, _ := os.Stat(name)
		c.put(string(rune('a'+i)), fi, make([]byte, 1000))
	}
	if c.size > 10<<10 || len(c.files) > 10 || len(c.files) == 0 {
		t.Fatalf("cache holds %d bytes in %d files", c.size, len(c.files))
	}
	stat := func(rel string) (fs.FileInfo, error) { return os.Stat(filepath.Join(dir, rel)) }
	for rel := range c.files {
		if _, _, ok := c.lookup(rel, stat); !ok {
			t.Errorf("%s: cached but not found", rel)
		}
	}
	if newFileCache(0) != nil {
		t.Error("--file-cache 0 still caches")
	}
}
