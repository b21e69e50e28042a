package mail

import (
	"bytes"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// popMessage is one message of a POP3 session's snapshot of a Maildir.
type popMessage struct {
	sub     string // "new" or "cur"
	name    string // file name in sub
	uid     string // unique-id listing (RFC 1939 UIDL)
	size    int    // octets as sent, CRLF line ends, before dot-stuffing
	deleted bool
	seen    bool // retrieved in this session
}

// popMailbox is the session's view of a Maildir: the messages present at
// login, numbered from 1 in Maildir name order (which is delivery time),
// as RFC 1939 wants the numbering stable for the whole session.
type popMailbox struct {
	box  *maildir
	msgs []*popMessage
}

func openPopMailbox(box *maildir) (*popMailbox, error) {
	mb := &popMailbox{box: box}
	for _, sub := range []string{"cur", "new"} {
		ents, err := os.ReadDir(filepath.Join(box.path, sub))
		if err != nil {
			return nil, err
		}
		for _, e := range ents {
			if !e.Type().IsRegular() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			m := &popMessage{sub: sub, name: e.Name()}
			base, _, _ := strings.Cut(e.Name(), ":")
			m.uid = uidOf(base)
			if m.size = wireSize(base); m.size < 0 {
				if m.size, err = countWireSize(filepath.Join(box.path, sub, e.Name())); err != nil {
					continue // gone since the listing: not in the snapshot
				}
			}
			mb.msgs = append(mb.msgs, m)
		}
	}
	sort.Slice(mb.msgs, func(i, j int) bool { return mb.msgs[i].name < mb.msgs[j].name })
	return mb, nil
}

// uidOf makes a unique-id from a Maildir base name: the name itself when
// it fits RFC 1939 (1-70 characters 0x21-0x7E), else its MD5 in hex.
func uidOf(base string) string {
	ok := len(base) > 0 && len(base) <= 70
	for i := 0; ok && i < len(base); i++ {
		ok = base[i] >= 0x21 && base[i] <= 0x7e
	}
	if ok {
		return base
	}
	sum := md5.Sum([]byte(base))
	return hex.EncodeToString(sum[:])
}

// wireSize reads ",W=N" from a Maildir name, or returns -1.
func wireSize(base string) int {
	for _, f := range strings.Split(base, ",")[1:] {
		if v, ok := strings.CutPrefix(f, "W="); ok {
			if n, err := strconv.Atoi(v); err == nil && n >= 0 {
				return n
			}
		}
	}
	return -1
}

// countWireSize reads a message file (from another program) to find its
// size with CRLF line ends.
func countWireSize(path string) (int, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	_, n := toLF(nil, data)
	return n, nil
}

// get returns message n (1-based) unless it does not exist or is deleted.
func (mb *popMailbox) get(n int) (*popMessage, bool) {
	if n < 1 || n > len(mb.msgs) || mb.msgs[n-1].deleted {
		return nil, false
	}
	return mb.msgs[n-1], true
}

// stat returns the count and total size of the messages not deleted.
func (mb *popMailbox) stat() (count, size int) {
	for _, m := range mb.msgs {
		if !m.deleted {
			count++
			size += m.size
		}
	}
	return
}

func (mb *popMailbox) reset() {
	for _, m := range mb.msgs {
		m.deleted = false
	}
}

func (mb *popMailbox) read(m *popMessage) ([]byte, error) {
	return os.ReadFile(filepath.Join(mb.box.path, m.sub, m.name))
}

// commit is the UPDATE state: deleted messages are removed, retrieved
// ones in new/ move to cur/ with the Seen flag, and both directories are
// fsync'd. It reports whether every deletion happened.
func (mb *popMailbox) commit() error {
	var errs []error
	touched := map[string]bool{}
	for _, m := range mb.msgs {
		path := filepath.Join(mb.box.path, m.sub, m.name)
		switch {
		case m.deleted:
			if err := os.Remove(path); err != nil && !isNotExist(err) {
				errs = append(errs, err)
				continue
			}
			touched[m.sub] = true
		case m.seen && m.sub == "new":
			if err := os.Rename(path, filepath.Join(mb.box.path, "cur", m.name+":2,S")); err == nil {
				touched["new"], touched["cur"] = true, true
			}
		}
	}
	if touched["new"] {
		errs = append(errs, mb.box.newSync.sync())
	}
	if touched["cur"] {
		errs = append(errs, mb.box.curSync.sync())
	}
	return errors.Join(errs...)
}

// writeDotStuffed writes msg (LF or CRLF line ends) as POP3 multi-line
// data: CRLF line ends, a '.' doubled at the start of a line, and the
// terminating ".". With bodyLines >= 0 only the header, the blank line
// and that many body lines are written (TOP).
func writeDotStuffed(w io.Writer, msg []byte, bodyLines int) error {
	var b bytes.Buffer
	inBody := false
	for line := range bytes.Lines(msg) {
		line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
		if inBody && bodyLines >= 0 {
			if bodyLines == 0 {
				break
			}
			bodyLines--
		}
		if !inBody && len(line) == 0 {
			inBody = true
		}
		if len(line) > 0 && line[0] == '.' {
			b.WriteByte('.')
		}
		b.Write(line)
		b.WriteString("\r\n")
		if b.Len() > 32<<10 {
			if _, err := w.Write(b.Bytes()); err != nil {
				return err
			}
			b.Reset()
		}
	}
	b.WriteString(".\r\n")
	_, err := w.Write(b.Bytes())
	return err
}
