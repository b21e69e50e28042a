package mail

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"
)

// maildir is one user's Maildir: tmp/, new/ and cur/ under path.
type maildir struct {
	path    string
	newSync *dirSyncer
	curSync *dirSyncer

	// perMessage makes each delivery fdatasync and fsync on its own
	// (--fsync message) instead of joining its filesystem's syncGroup.
	perMessage bool
	group      atomic.Pointer[syncGroup] // found on first delivery
}

func newMaildir(path string) *maildir {
	return &maildir{
		path:    path,
		newSync: newDirSyncer(filepath.Join(path, "new")),
		curSync: newDirSyncer(filepath.Join(path, "cur")),
	}
}

// create makes the Maildir's directories (mode 0700) if they are missing.
func (m *maildir) create() error {
	for _, sub := range []string{"tmp", "new", "cur"} {
		if err := os.MkdirAll(filepath.Join(m.path, sub), 0o700); err != nil {
			return err
		}
	}
	return nil
}

func (m *maildir) close() {
	m.newSync.close()
	m.curSync.close()
}

// deliver stores msg (LF line ends) durably: written to tmp/, fdatasync'd,
// renamed into new/, and new/ fsync'd, all before it returns nil. On error
// nothing is left in new/ (a partial file in tmp/ is removed).
func (m *maildir) deliver(msg []byte, crlfSize int) (string, error) {
	name := uniqueName(len(msg), crlfSize)
	tmp := filepath.Join(m.path, "tmp", name)
	if g := m.syncGroup(); g != nil {
		f, err := createWritten(tmp, msg)
		if err != nil {
			return "", err
		}
		p := &pendingFile{f: f, tmp: tmp, dst: filepath.Join(m.path, "new", name), box: m}
		return name, g.commit(p)
	}
	if err := writeDurably(tmp, msg); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, filepath.Join(m.path, "new", name)); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return name, m.newSync.sync()
}

// syncGroup returns the group commit of the Maildir's filesystem, or nil
// for --fsync message (or when tmp/ cannot be looked at, so that the
// delivery fails on its own with the clearer error).
func (m *maildir) syncGroup() *syncGroup {
	if m.perMessage {
		return nil
	}
	if g := m.group.Load(); g != nil {
		return g
	}
	g, err := groupFor(filepath.Join(m.path, "tmp"))
	if err != nil {
		return nil
	}
	m.group.Store(g)
	return g
}

// createWritten creates path (which must not exist) and writes data,
// leaving the file open and not yet synced. On error the file is removed.
func createWritten(path string, data []byte) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(path)
		return nil, err
	}
	return f, nil
}

// writeDurably creates path (which must not exist), writes data and
// fdatasyncs it. On error the file is removed.
func writeDurably(path string, data []byte) error {
	f, err := createWritten(path, data)
	if err != nil {
		return err
	}
	err = datasync(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}

var (
	deliveries atomic.Uint64
	pid        = os.Getpid()
	localHost  = maildirHost()
)

// uniqueName returns a Maildir file name: time, microseconds, pid and a
// per-process counter make it unique on this host; S= is the size as
// stored (LF line ends) and W= the size on the wire (CRLF), which POP3
// reports without reading the file.
func uniqueName(size, crlfSize int) string {
	now := time.Now()
	return fmt.Sprintf("%d.M%06dP%dQ%d.%s,S=%d,W=%d", now.Unix(), now.Nanosecond()/1000, pid, deliveries.Add(1), localHost, size, crlfSize)
}

// maildirHost is the host part of Maildir names, with '/' and ':' escaped
// as the Maildir convention says.
func maildirHost() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		h = "localhost"
	}
	return strings.NewReplacer("/", `\057`, ":", `\072`).Replace(h)
}

// toLF converts a message as received (CRLF line ends) to how it is stored
// (LF) and returns the CRLF size: the size a POP3 client will receive.
func toLF(dst, src []byte) ([]byte, int) {
	crlf := 0
	for len(src) > 0 {
		i := bytes.IndexByte(src, '\n')
		if i < 0 {
			dst = append(dst, src...)
			crlf += len(src)
			break
		}
		line := src[:i]
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		dst = append(dst, line...)
		dst = append(dst, '\n')
		crlf += len(line) + 2
		src = src[i+1:]
	}
	return dst, crlf
}

// isNotExist reports a missing file, also behind a wrapped error.
func isNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
