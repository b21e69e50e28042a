package web

import (
	"mime"
	"path"
	"strings"
)

// webTypes are the types a web server must get right whatever the system
// table says (or when it is missing, as in a chroot or a small container).
// They win over the system's /etc/mime.types, which in turn extends Go's
// built-in table.
var webTypes = map[string]string{
	".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
	".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8",
	".mjs": "text/javascript; charset=utf-8", ".json": "application/json",
	".map": "application/json", ".webmanifest": "application/manifest+json",
	".txt": "text/plain; charset=utf-8", ".md": "text/markdown; charset=utf-8",
	".csv": "text/csv; charset=utf-8", ".xml": "text/xml; charset=utf-8",
	".svg": "image/svg+xml",
	".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
	".gif": "image/gif", ".webp": "image/webp", ".avif": "image/avif",
	".ico": "image/vnd.microsoft.icon", ".bmp": "image/bmp",
	".wasm": "application/wasm", ".pdf": "application/pdf",
	".webm": "video/webm", ".mp4": "video/mp4", ".m4v": "video/mp4",
	".ogv": "video/ogg", ".mov": "video/quicktime",
	".mp3": "audio/mpeg", ".ogg": "audio/ogg", ".oga": "audio/ogg",
	".opus": "audio/ogg", ".wav": "audio/wav", ".flac": "audio/flac",
	".m4a": "audio/mp4", ".weba": "audio/webm",
	".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf",
	".zip": "application/zip", ".gz": "application/gzip", ".tgz": "application/gzip",
	".bz2": "application/x-bzip2", ".xz": "application/x-xz", ".zst": "application/zstd",
	".br": "application/octet-stream", ".tar": "application/x-tar",
	".7z":  "application/x-7z-compressed",
	".ics": "text/calendar; charset=utf-8", ".vtt": "text/vtt; charset=utf-8",
	".atom": "application/atom+xml", ".rss": "application/rss+xml",
	".epub": "application/epub+zip",
}

// loadMIME makes Go read the system MIME tables now: it does so on first
// use, and by the time of the first request the process may be chrooted
// away from /etc/mime.types.
func loadMIME() { _ = mime.TypeByExtension(".html") }

// typeByName returns the Content-Type for a file name, or def when its
// extension is unknown.
func typeByName(name, def string) string {
	ext := path.Ext(name)
	if ext == "" {
		return def
	}
	if t, ok := webTypes[ext]; ok {
		return t
	}
	lower := strings.ToLower(ext)
	if t, ok := webTypes[lower]; ok {
		return t
	}
	if t := mime.TypeByExtension(lower); t != "" {
		return t
	}
	return def
}

// compressible reports whether gzip shrinks content of type ct enough to
// be worth it: text, and the structured text formats served as application/*.
func compressible(ct string) bool {
	base, _, _ := strings.Cut(ct, ";")
	switch {
	case strings.HasPrefix(base, "text/"):
		return true
	case base == "image/svg+xml", base == "application/wasm":
		return true
	case strings.HasPrefix(base, "application/"):
		return strings.HasSuffix(base, "json") || strings.HasSuffix(base, "xml") ||
			base == "application/javascript" || base == "application/x-javascript"
	}
	return false
}
