package conch

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"
	"time"
)

// maxAuthFileLine bounds one line of a password file; a longer line is an
// error rather than a reason to allocate without limit.
const maxAuthFileLine = 64 << 10

// parseAuthFile reads twistd's FilePasswordDB format: each line is split
// on ':' after trailing white space is removed; field 0 is the user, field
// 1 the password (a later ':' and what follows are ignored, as in twistd),
// and lines with fewer than two fields are skipped. Unlike twistd, blank
// lines and lines starting with '#' are comments. The first line for a
// user wins, as twistd's getUser returns the first match.
func parseAuthFile(r io.Reader) (map[string]string, error) {
	users := map[string]string{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxAuthFileLine)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimRight(sc.Bytes(), " \t\r\n\v\f")
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		fields := bytes.Split(line, []byte{':'})
		if len(fields) < 2 || len(fields[0]) == 0 {
			continue
		}
		user := string(fields[0])
		if _, seen := users[user]; !seen {
			users[user] = string(fields[1])
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading password file: %w", err)
	}
	return users, nil
}

// authFile is one --auth file:PATH. It re-reads the file when its size or
// modification time changes (twistd reads it on every attempt), and keeps
// the last good contents if a re-read fails.
type authFile struct {
	path string

	mu    sync.Mutex
	size  int64
	mtime time.Time
	users map[string]string
}

// loadAuthFile reads path once, so that Make can refuse a missing or
// unreadable file before anything starts.
func loadAuthFile(path string) (*authFile, error) {
	f := &authFile{path: path}
	if err := f.refresh(); err != nil {
		return nil, err
	}
	return f, nil
}

// lookup returns the stored password (or hash) of user.
func (f *authFile) lookup(user string) (string, bool, error) {
	err := f.refresh()
	f.mu.Lock()
	defer f.mu.Unlock()
	pw, ok := f.users[user]
	return pw, ok, err
}

func (f *authFile) refresh() error {
	fh, err := os.OpenFile(f.path, os.O_RDONLY|syscall.O_NONBLOCK, 0) // a FIFO must not hang
	if err != nil {
		return err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() {
		return fmt.Errorf("%s: not a regular file", f.path)
	}
	f.mu.Lock()
	same := f.users != nil && st.Size() == f.size && st.ModTime().Equal(f.mtime)
	f.mu.Unlock()
	if same {
		return nil
	}
	users, err := parseAuthFile(fh)
	if err != nil {
		return fmt.Errorf("%s: %w", f.path, err)
	}
	f.mu.Lock()
	f.users, f.size, f.mtime = users, st.Size(), st.ModTime()
	f.mu.Unlock()
	return nil
}
