package runner

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestPidfileLockDecidesWhoRuns(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.pid")
	if running, _, exists, err := probePidfile(path); running || exists || err != nil {
		t.Fatalf("absent file: %v %v %v", running, exists, err)
	}
	p, stale, err := acquirePidfile(path)
	if err != nil || stale != "" {
		t.Fatalf("acquire: %v %q", err, stale)
	}
	if got, _ := os.ReadFile(path); string(got) != strconv.Itoa(os.Getpid())+"\n" {
		t.Errorf("content %q", got)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 {
		t.Errorf("mode %v", fi.Mode().Perm())
	}
	running, pid, _, err := probePidfile(path)
	if !running || pid != strconv.Itoa(os.Getpid()) || err != nil {
		t.Errorf("probe while held: %v %q %v", running, pid, err)
	}
	_, _, err = acquirePidfile(path)
	var re *runningError
	if err == nil || !strings.Contains(err.Error(), "pid "+strconv.Itoa(os.Getpid())) {
		t.Errorf("second acquire: %v", err)
	} else if re, _ = err.(*runningError); re == nil {
		t.Errorf("second acquire: %T", err)
	}
	if err := p.release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Error("release left the file")
	}
	if err := p.release(); err != nil {
		t.Errorf("second release: %v", err)
	}
}

func TestPidfileStaleContentIsTakenOver(t *testing.T) {
	for _, content := range []string{"999999", "abc", "0", "-1", "1", "\x00garbage\n", strconv.Itoa(os.Getpid())} {
		path := filepath.Join(t.TempDir(), "x.pid")
		os.WriteFile(path, []byte(content), 0o600)
		p, stale, err := acquirePidfile(path)
		if err != nil {
			t.Fatalf("%q: %v", content, err)
		}
		if !strings.Contains(stale, "removing stale pidfile") {
			t.Errorf("%q: notice %q", content, stale)
		}
		if strings.ContainsAny(stale, "\x00\n") {
			t.Errorf("%q: the notice carries raw control bytes: %q", content, stale)
		}
		p.release()
	}
}

func TestPidfileErrorsSayWhatToDo(t *testing.T) {
	dir := t.TempDir()
	if _, _, err := acquirePidfile(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("directory: %v", err)
	}
	if _, _, err := acquirePidfile(filepath.Join(dir, "no", "x.pid")); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing directory: %v", err)
	}
	if _, _, _, err := probePidfile(dir); err == nil {
		t.Error("probing a directory succeeded")
	}
}
