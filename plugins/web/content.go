package web

import (
	"bytes"
	"io"
	"io/fs"
	"net/http"
	"os"
	"strconv"
	"sync"
	"time"
)

// smallFile is the size up to which a file is read into memory and
// written with the response headers in one write(2); larger files go out
// with sendfile(2) where the connection allows it.
const smallFile = 16 << 10

var smallBufs = sync.Pool{New: func() any { b := make([]byte, smallFile); return &b }}

var varyAcceptEncoding = []string{"Accept-Encoding"}

// serveFile answers GET or HEAD with a regular file. Conditional requests
// (If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since,
// If-Range, in RFC 9110's order) and byte ranges are net/http's
// ServeContent; this function chooses the representation (a precompressed
// sidecar, gzip on the fly, or the file itself), its validators, and
// screens the Range header first (parseRange).
//
// cached, when not nil, is the whole content from the file cache, and f is
// nil; otherwise f is the open file, and a small one is read and offered
// to the cache.
func (s *site) serveFile(w http.ResponseWriter, r *http.Request, f *os.File, cached []byte, fi fs.FileInfo, rel string) {
	h := w.Header()
	ctype := typeByName(rel, s.opts.defaultType)
	comp := compressible(ctype)
	size, mod, suffix := fi.Size(), fi.ModTime(), ""
	var ae acceptEncoding
	if v := r.Header["Accept-Encoding"]; len(v) > 0 {
		ae = parseAcceptEncoding(v)
	}
	if s.opts.precompressed && ae.any() {
		if enc, sf, sfi := s.sidecar(rel, ae); sf != nil {
			defer sf.Close()
			f, cached, size, mod, suffix = sf, nil, sfi.Size(), sfi.ModTime(), "-"+enc
			h["Content-Encoding"] = []string{enc}
			h["Vary"] = varyAcceptEncoding
		}
	}
	if comp && (s.opts.gzip || s.opts.precompressed) {
		h["Vary"] = varyAcceptEncoding // the answer depends on Accept-Encoding
	}
	h["Content-Type"] = []string{ctype}
	etag := makeETag(mod, size, suffix)
	gz := suffix == "" && comp && s.opts.gzip && size >= s.opts.gzipMin && ae.accepts("gzip")
	if gz {
		etag = "W/" + etag // the gzip bytes are not fixed: a weak validator
	}
	h["Etag"] = []string{etag}
	screenRange(r, size, gz)
	whole := !gz && plainGet(r)

	if size > smallFile { // only small files come from the cache: f is open
		switch {
		case whole:
			setWholeHeaders(h, mod, size)
			w.WriteHeader(http.StatusOK)
			if r.Method != http.MethodHead {
				_, _ = io.CopyN(w, f, size) // sendfile(2) through the connection's ReadFrom
			}
		case gz:
			g := &gzipWriter{ResponseWriter: w, head: r.Method == http.MethodHead}
			http.ServeContent(g, r, "", mod, f)
			g.close()
		default:
			http.ServeContent(w, r, "", mod, f)
		}
		return
	}

	data := cached
	if data == nil {
		bp := smallBufs.Get().(*[]byte)
		defer smallBufs.Put(bp)
		n, err := io.ReadFull(f, (*bp)[:size])
		if err != nil && err != io.ErrUnexpectedEOF {
			s.readError(w, r, rel, err)
			return
		}
		data = (*bp)[:n]
		if suffix == "" {
			s.cache.put(rel, fi, data)
		}
	}
	switch {
	case whole:
		// Headers and body leave in one write(2).
		setWholeHeaders(h, mod, int64(len(data)))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(data)
		}
	case gz:
		g := &gzipWriter{ResponseWriter: w, head: r.Method == http.MethodHead}
		http.ServeContent(g, r, "", mod, bytes.NewReader(data))
		g.close()
	default:
		// writerOnly: no ReadFrom, so the body joins the headers in one write.
		http.ServeContent(writerOnly{w}, r, "", mod, bytes.NewReader(data))
	}
}

// conditionalHeaders are the request headers that make ServeContent's
// work necessary; without them the answer is always 200 with everything.
var conditionalHeaders = []string{"Range", "If-Match", "If-None-Match", "If-Modified-Since", "If-Unmodified-Since", "If-Range"}

func plainGet(r *http.Request) bool {
	for _, k := range conditionalHeaders {
		if _, ok := r.Header[k]; ok {
			return false
		}
	}
	return true
}

var acceptRangesBytes = []string{"bytes"}

// setWholeHeaders writes what ServeContent would for an unconditional
// 200, without its work.
func setWholeHeaders(h http.Header, mod time.Time, size int64) {
	h["Last-Modified"] = []string{mod.UTC().Format(http.TimeFormat)}
	h["Accept-Ranges"] = acceptRangesBytes
	h["Content-Length"] = []string{strconv.FormatInt(size, 10)}
}

// screenRange replaces the Range header with parseRange's verdict, in a
// form net/http's ServeContent reads the same way, so that absurd headers
// never reach it. Range only applies to GET (RFC 9110 section 14.2), and
// not to a response gzipped on the fly.
func screenRange(r *http.Request, size int64, gz bool) {
	v := r.Header["Range"]
	if len(v) == 0 {
		return
	}
	if r.Method != http.MethodGet || gz || len(v) > 1 {
		delete(r.Header, "Range")
		return
	}
	rs, d := parseRange(v[0], size)
	if d == rangeWhole {
		delete(r.Header, "Range")
		return
	}
	r.Header["Range"] = []string{canonicalRange(rs, d, size)}
}

// makeETag returns a strong validator from the modification time and size
// (nginx's recipe, with nanoseconds), plus a suffix naming the encoding.
func makeETag(mod time.Time, size int64, suffix string) string {
	b := make([]byte, 0, 40)
	b = append(b, '"')
	b = strconv.AppendInt(b, mod.UnixNano(), 16)
	b = append(b, '-')
	b = strconv.AppendInt(b, size, 16)
	b = append(b, suffix...)
	b = append(b, '"')
	return string(b)
}

// sidecars are tried in this order among encodings the client rates alike.
var sidecars = []struct{ enc, ext string }{{"br", ".br"}, {"zstd", ".zst"}, {"gzip", ".gz"}}

// sidecar opens the precompressed FILE.br, FILE.zst or FILE.gz the client
// accepts best, if one exists as a regular file.
func (s *site) sidecar(rel string, ae acceptEncoding) (string, *os.File, fs.FileInfo) {
	best := -1
	var bestF *os.File
	var bestFI fs.FileInfo
	for _, c := range sidecars {
		q := ae.q(c.enc)
		if q <= 0 || (best >= 0 && q <= ae.q(sidecars[best].enc)) {
			continue
		}
		f, err := s.root.Open(rel + c.ext)
		if err != nil {
			continue
		}
		fi, err := f.Stat()
		if err != nil || !fi.Mode().IsRegular() {
			f.Close()
			continue
		}
		if bestF != nil {
			bestF.Close()
		}
		best, bestF, bestFI = indexOf(c.enc), f, fi
	}
	if bestF == nil {
		return "", nil, nil
	}
	return sidecars[best].enc, bestF, bestFI
}

func indexOf(enc string) int {
	for i, c := range sidecars {
		if c.enc == enc {
			return i
		}
	}
	return -1
}

func (s *site) readError(w http.ResponseWriter, r *http.Request, rel string, err error) {
	s.log.Warn("reading " + rel + ": " + err.Error())
	detail := "The file could not be read."
	if s.opts.tracebacks {
		detail = err.Error()
	}
	errorPage(w, r, http.StatusInternalServerError, "Internal Server Error", detail)
}

// writerOnly hides a ResponseWriter's ReadFrom, so that io.Copy writes a
// small in-memory body through the response buffer.
type writerOnly struct{ http.ResponseWriter }

func (w writerOnly) Unwrap() http.ResponseWriter { return w.ResponseWriter }
