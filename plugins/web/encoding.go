package web

import (
	"compress/gzip"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// acceptEncoding holds the quality values of the codings a web server
// cares about, read from Accept-Encoding (RFC 9110 section 12.5.3).
// Qualities are in thousandths; -1 means "not mentioned".
type acceptEncoding struct {
	br, zstd, gzip, star int16
	present              bool
}

func parseAcceptEncoding(vs []string) acceptEncoding {
	ae := acceptEncoding{br: -1, zstd: -1, gzip: -1, star: -1, present: true}
	for _, v := range vs {
		for part := range strings.SplitSeq(v, ",") {
			name, params, _ := strings.Cut(part, ";")
			name = strings.ToLower(strings.TrimSpace(name))
			q := int16(1000)
			for p := range strings.SplitSeq(params, ";") {
				k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					q = parseQ(strings.TrimSpace(val))
				}
			}
			switch name {
			case "br":
				ae.br = q
			case "zstd":
				ae.zstd = q
			case "gzip", "x-gzip":
				ae.gzip = q
			case "*":
				ae.star = q
			}
		}
	}
	return ae
}

// parseQ reads a qvalue ("0", "0.5", "1.000"); anything else counts as 0.
func parseQ(s string) int16 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || !(f >= 0 && f <= 1) { // NaN too
		return 0
	}
	return int16(f*1000 + 0.5)
}

// q returns the quality for a coding, falling back to "*".
func (ae acceptEncoding) q(enc string) int16 {
	var v int16 = -1
	switch enc {
	case "br":
		v = ae.br
	case "zstd":
		v = ae.zstd
	case "gzip":
		v = ae.gzip
	}
	if v < 0 {
		v = ae.star
	}
	return max(v, 0)
}

func (ae acceptEncoding) accepts(enc string) bool { return ae.present && ae.q(enc) > 0 }

func (ae acceptEncoding) any() bool {
	return ae.present && (ae.q("br") > 0 || ae.q("zstd") > 0 || ae.q("gzip") > 0)
}

var gzipPool = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression)
	return w
}}

// gzipWriter compresses a 200 response that ServeContent writes: at
// WriteHeader it drops Content-Length and Accept-Ranges (the length is not
// known, and ranges of a gzip stream made on the fly are not stable) and
// adds Content-Encoding. Other statuses (304, 412) pass through.
type gzipWriter struct {
	http.ResponseWriter
	head bool
	gz   *gzip.Writer
}

func (g *gzipWriter) WriteHeader(code int) {
	if code == http.StatusOK {
		h := g.Header()
		delete(h, "Content-Length")
		delete(h, "Accept-Ranges")
		h["Content-Encoding"] = []string{"gzip"}
		if !g.head {
			g.gz = gzipPool.Get().(*gzip.Writer)
			g.gz.Reset(g.ResponseWriter)
		}
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *gzipWriter) Write(b []byte) (int, error) {
	if g.gz != nil {
		return g.gz.Write(b)
	}
	return g.ResponseWriter.Write(b)
}

func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

// close ends the gzip stream and returns the writer to the pool.
func (g *gzipWriter) close() {
	if g.gz != nil {
		_ = g.gz.Close()
		g.gz.Reset(nil)
		gzipPool.Put(g.gz)
		g.gz = nil
	}
}
