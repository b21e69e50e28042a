package dns

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"

	"github.com/miekg/dns"
)

// loadZoneFile reads a BIND master file with miekg/dns's zone parser:
// $ORIGIN, $TTL, $INCLUDE (relative to the including file) and $GENERATE,
// and every record type the library knows. Names before any $ORIGIN are
// relative to the file's base name plus a dot, as in twistd's bindzone;
// the zone is the owner of the file's one SOA record. Any bad line fails
// the whole file, with its file:line, so a zone is never half loaded.
func loadZoneFile(path string) (*zone, []fileStamp, error) {
	t := &lineTracker{}
	top, err := t.open(path)
	if err != nil {
		return nil, nil, err
	}
	defer t.closeAll()
	zp := dns.NewZoneParser(top, filepath.Base(path)+".", path)
	zp.SetIncludeAllowed(true)
	zp.SetIncludeFS(t)
	var recs []dns.RR
	var where []string
	var apex string
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		recs = append(recs, rr)
		where = append(where, t.pos())
		if rr.Header().Rrtype == dns.TypeSOA && apex == "" {
			apex = rr.Header().Name
		}
	}
	if err := zp.Err(); err != nil {
		return nil, nil, parseError(err)
	}
	if t.err != nil {
		return nil, nil, t.err
	}
	if apex == "" {
		return nil, nil, fmt.Errorf("%s: no SOA record: a zone file needs one at its apex", path)
	}
	z, err := newZone(apex, recs, func(i int) string { return where[i] })
	if err != nil {
		return nil, nil, err
	}
	return z, t.stamps, nil
}

// miekg/dns words its errors "FILE: dns: WHAT: "TOKEN" at line: L:C".
var parseErrorRE = regexp.MustCompile(`^(.*): dns: (.*) at line: (\d+):(\d+)$`)

// parseError rewrites a zone parser error as "FILE:LINE:COL: WHAT".
func parseError(err error) error {
	m := parseErrorRE.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	return fmt.Errorf("%s:%s:%s: %s", m[1], m[3], m[4], m[2])
}

// lineTracker opens the zone file and its $INCLUDEs (it is the zone
// parser's fs.FS) and counts the newlines each one has handed out, so that
// every record the parser returns can be given its file and line: the
// parser reads a byte at a time through io.ByteReader and stops right after
// the newline that ends a record.
type lineTracker struct {
	cur    *countedFile
	files  []*countedFile
	stamps []fileStamp
	err    error
}

// Open is called by the zone parser for $INCLUDE with the slash-less form
// of an absolute path (the parser strips the leading "/").
func (t *lineTracker) Open(name string) (fs.File, error) {
	if !filepath.IsAbs(name) {
		name = "/" + name
	}
	return t.open(name)
}

func (t *lineTracker) open(path string) (*countedFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := stampFile(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	if st.size > maxZoneFile {
		f.Close()
		return nil, fmt.Errorf("%s: larger than %d bytes", path, maxZoneFile)
	}
	c := &countedFile{f: f, r: bufio.NewReader(f), path: path, line: 1, t: t}
	t.files = append(t.files, c)
	t.stamps = append(t.stamps, st)
	return c, nil
}

// maxZoneFile bounds one zone file, a guard against pointing --bindzone
// (or an $INCLUDE) at something that is not a zone file.
const maxZoneFile = 1 << 30

func (t *lineTracker) closeAll() {
	for _, c := range t.files {
		c.f.Close()
	}
}

// pos is where the record just returned by the parser ended.
func (t *lineTracker) pos() string {
	if t.cur == nil {
		return "?"
	}
	return t.cur.path + ":" + strconv.Itoa(t.cur.line)
}

// countedFile is one open file of a zone: an fs.File and an io.ByteReader
// that counts lines.
type countedFile struct {
	f      *os.File
	r      *bufio.Reader
	path   string
	line   int
	lastNL bool
	t      *lineTracker
}

func (c *countedFile) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err != nil {
		if !errors.Is(err, io.EOF) {
			c.t.err = fmt.Errorf("%s: %w", c.path, err)
		}
		return b, err
	}
	c.t.cur = c
	if c.lastNL {
		c.line++
	}
	c.lastNL = b == '\n'
	return b, nil
}

func (c *countedFile) Read(p []byte) (int, error) { return c.r.Read(p) }
func (c *countedFile) Stat() (fs.FileInfo, error) { return c.f.Stat() }
func (c *countedFile) Close() error               { return nil } // closeAll does it
