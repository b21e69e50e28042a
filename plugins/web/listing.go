package web

import (
	"bytes"
	"encoding/json"
	"html"
	"io/fs"
	"net/http"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// entry is one line of a directory listing.
type entry struct {
	name  string
	dir   bool
	size  int64
	mtime time.Time
}

var listBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

var varyAccept = []string{"Accept"}

// serveListing answers GET or HEAD for a directory without an index file:
// HTML like twistd's (directories first, then files, each in byte order;
// names HTML-escaped, links percent-encoded), or JSON or plain text when
// the Accept header prefers them. Dotfiles are left out unless
// --show-hidden, and so are entries the server would refuse to serve
// (links out of the root, FIFOs, sockets, devices).
func (s *site) serveListing(w http.ResponseWriter, r *http.Request, dir *os.File, rel string) {
	entries, err := s.readListing(dir, rel)
	if err != nil {
		s.readError(w, r, rel, err)
		return
	}
	buf := listBufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer listBufs.Put(buf)
	var ctype string
	switch listingFormat(r.Header.Get("Accept")) {
	case "json":
		ctype = "application/json"
		writeJSONListing(buf, r.URL.Path, entries)
	case "text":
		ctype = "text/plain; charset=utf-8"
		writeTextListing(buf, entries)
	default:
		ctype = "text/html; charset=utf-8"
		s.writeHTMLListing(buf, r.URL.Path, entries)
	}
	h := w.Header()
	h["Content-Type"] = []string{ctype}
	h["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	h["Vary"] = varyAccept
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(buf.Bytes())
	}
}

// fileMeta is what a listing needs of an entry: its type (0 for a
// regular file, else ModeDir, ModeSymlink or ModeIrregular), size and
// modification time.
type fileMeta struct {
	typ   fs.FileMode
	size  int64
	mtime time.Time
}

// readListing reads the entries of dir: names, then one fstatat(2) each
// relative to the directory's descriptor. Links are followed through the
// root, which refuses those that leave it.
func (s *site) readListing(dir *os.File, rel string) ([]entry, error) {
	names, err := dir.Readdirnames(-1)
	if err != nil {
		return nil, err
	}
	rc, err := dir.SyscallConn()
	if err != nil {
		return nil, err
	}
	out := make([]entry, 0, len(names))
	cerr := rc.Control(func(fd uintptr) {
		for _, name := range names {
			if hiddenName(name, s.opts.showHidden) || strings.ContainsAny(name, "\\") {
				continue
			}
			m, err := lstatAt(int(fd), dir.Name(), name)
			if err != nil {
				continue
			}
			if m.typ == fs.ModeSymlink {
				fi, err := s.root.Stat(joinRel(rel, name))
				if err != nil {
					continue
				}
				m = fileMeta{size: fi.Size(), mtime: fi.ModTime(), typ: fs.ModeIrregular}
				switch {
				case fi.IsDir():
					m.typ = fs.ModeDir
				case fi.Mode().IsRegular():
					m.typ = 0
				}
			}
			switch m.typ {
			case fs.ModeDir:
				out = append(out, entry{name: name, dir: true, mtime: m.mtime})
			case 0:
				out = append(out, entry{name: name, size: m.size, mtime: m.mtime})
			}
		}
	})
	if cerr != nil {
		return nil, cerr
	}
	slices.SortFunc(out, func(a, b entry) int {
		if a.dir != b.dir {
			if a.dir {
				return -1
			}
			return 1
		}
		return strings.Compare(a.name, b.name)
	})
	return out, nil
}

// listingFormat picks html, json or text from an Accept header: the
// highest quality wins, html on ties and by default.
func listingFormat(accept string) string {
	if accept == "" {
		return "html"
	}
	best, bestQ := "html", int16(-1)
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, _ := strings.Cut(part, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
		q := int16(1000)
		for p := range strings.SplitSeq(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.TrimSpace(k) == "q" {
				q = parseQ(strings.TrimSpace(v))
			}
		}
		var f string
		switch mt {
		case "text/html", "application/xhtml+xml", "*/*", "text/*":
			f = "html"
		case "application/json":
			f = "json"
		case "text/plain":
			f = "text"
		default:
			continue
		}
		if q > bestQ || (q == bestQ && f == "html") {
			best, bestQ = f, q
		}
	}
	if bestQ <= 0 {
		return "html"
	}
	return best
}

const listingHead = `<html>
<head>
<title>Directory listing for %s</title>
<style>
.even-dir { background-color: #efe0ef }
.even { background-color: #eee }
.odd-dir {background-color: #f0d0ef }
.odd { background-color: #dedede }
.icon { text-align: center }
.listing {
    margin-left: auto;
    margin-right: auto;
    width: 50%%;
    padding: 0.1em;
    }

body { border: 0; padding: 0; margin: 0; background-color: #efefef; }
h1 {padding: 0.1em; background-color: #777; color: white; border-bottom: thin white dashed;}

</style>
</head>

<body>
<h1>Directory listing for %s</h1>

<table>
    <thead>
        <tr>
            <th>Filename</th>
            <th>Size</th>
            <th>Content type</th>
            <th>Content encoding</th>
        </tr>
    </thead>
    <tbody>
`

var listingHeadParts = strings.Split(strings.ReplaceAll(listingHead, "%%", "%"), "%s")

func (s *site) writeHTMLListing(b *bytes.Buffer, urlPath string, es []entry) {
	title := html.EscapeString(urlPath)
	b.WriteString(listingHeadParts[0])
	b.WriteString(title)
	b.WriteString(listingHeadParts[1])
	b.WriteString(title)
	b.WriteString(listingHeadParts[2])
	for i, e := range es {
		class := "odd"
		if i%2 == 1 {
			class = "even"
		}
		b.WriteString(`<tr class="`)
		b.WriteString(class)
		b.WriteString("\">\n    <td><a href=\"")
		appendHref(b, e.name)
		if e.dir {
			b.WriteByte('/')
		}
		b.WriteString(`">`)
		b.WriteString(html.EscapeString(e.name))
		if e.dir {
			b.WriteString("/</a></td>\n    <td></td>\n    <td>[Directory]</td>\n    <td></td>\n</tr>\n")
			continue
		}
		b.WriteString("</a></td>\n    <td>")
		var num [24]byte
		b.Write(appendSize(num[:0], e.size))
		b.WriteString("</td>\n    <td>[")
		ct, _, _ := strings.Cut(typeByName(e.name, s.opts.defaultType), ";")
		b.WriteString(html.EscapeString(ct))
		b.WriteString("]</td>\n    <td>")
		if enc := encodingOf(e.name); enc != "" {
			b.WriteString("[" + enc + "]")
		}
		b.WriteString("</td>\n</tr>\n")
	}
	b.WriteString("\n    </tbody>\n</table>\n\n</body>\n</html>\n")
}

// formatSize is twistd's: whole B, K, M or G, rounded down.
func formatSize(n int64) string { return string(appendSize(nil, n)) }

func appendSize(b []byte, n int64) []byte {
	switch {
	case n < 1<<10:
		return append(strconv.AppendInt(b, n, 10), 'B')
	case n < 1<<20:
		return append(strconv.AppendInt(b, n>>10, 10), 'K')
	case n < 1<<30:
		return append(strconv.AppendInt(b, n>>20, 10), 'M')
	}
	return append(strconv.AppendInt(b, n>>30, 10), 'G')
}

// encodingOf names the compression a file's extension implies, for the
// listing's "Content encoding" column (twistd's column; the file itself
// is served as what it is, e.g. application/gzip).
func encodingOf(name string) string {
	switch path.Ext(name) {
	case ".gz":
		return "gzip"
	case ".bz2":
		return "bzip2"
	case ".br":
		return "br"
	case ".zst":
		return "zstd"
	}
	return ""
}

// escapeHref percent-encodes every byte of a name but the unreserved ones
// (RFC 3986), so that no name can turn into a scheme ("a:b"), a query, a
// fragment or another path.
func escapeHref(name string) string {
	var b bytes.Buffer
	appendHref(&b, name)
	return b.String()
}

func appendHref(b *bytes.Buffer, name string) {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
}

type jsonEntry struct {
	Name     string `json:"name"`
	Href     string `json:"href"`
	Type     string `json:"type"`
	Size     *int64 `json:"size,omitempty"`
	Modified string `json:"modified"`
	Content  string `json:"content_type,omitempty"`
}

func writeJSONListing(b *bytes.Buffer, urlPath string, es []entry) {
	out := struct {
		Path    string      `json:"path"`
		Entries []jsonEntry `json:"entries"`
	}{Path: urlPath, Entries: make([]jsonEntry, 0, len(es))}
	for _, e := range es {
		je := jsonEntry{Name: e.name, Href: escapeHref(e.name), Type: "file", Modified: e.mtime.UTC().Format(time.RFC3339)}
		if e.dir {
			je.Type, je.Href = "directory", je.Href+"/"
		} else {
			size := e.size
			je.Size = &size
		}
		out.Entries = append(out.Entries, je)
	}
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(out)
}

// writeTextListing writes one name a line, directories with a trailing
// slash; control characters in names become '?' so a name cannot forge
// lines.
func writeTextListing(b *bytes.Buffer, es []entry) {
	for _, e := range es {
		for i := 0; i < len(e.name); i++ {
			if c := e.name[i]; c < 0x20 || c == 0x7f {
				b.WriteByte('?')
			} else {
				b.WriteByte(c)
			}
		}
		if e.dir {
			b.WriteByte('/')
		}
		b.WriteByte('\n')
	}
}
