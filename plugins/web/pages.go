package web

import (
	"html"
	"net/http"
	"strconv"
)

// errorPage answers with twistd's small HTML error page:
// "404 - No Such Resource" and the like. HEAD gets the headers only.
func errorPage(w http.ResponseWriter, r *http.Request, code int, title, detail string) {
	body := "\n<html>\n  <head><title>" + strconv.Itoa(code) + " - " + html.EscapeString(title) +
		"</title></head>\n  <body>\n    <h1>" + html.EscapeString(title) + "</h1>\n    <p>" +
		html.EscapeString(detail) + "</p>\n  </body>\n</html>\n"
	h := w.Header()
	h.Del("Content-Encoding")
	h.Del("Content-Range")
	h.Del("ETag")
	h.Del("Last-Modified")
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(body))
	}
}

func notFound(w http.ResponseWriter, r *http.Request) {
	errorPage(w, r, http.StatusNotFound, "No Such Resource", "File not found.")
}

func forbidden(w http.ResponseWriter, r *http.Request) {
	errorPage(w, r, http.StatusForbidden, "Forbidden", "You may not see this resource.")
}

// allowedMethods is the Allow header of static resources.
const allowedMethods = "GET, HEAD, OPTIONS"

// knownMethods are the methods answered with 405 on static resources;
// anything else is 501, as twistd does for methods it has no handler for.
var knownMethods = map[string]bool{
	http.MethodPost: true, http.MethodPut: true, http.MethodDelete: true,
	http.MethodPatch: true, http.MethodConnect: true, http.MethodTrace: true,
	"PROPFIND": true, "MKCOL": true, "COPY": true, "MOVE": true, "LOCK": true, "UNLOCK": true,
}

// methodNotAllowed answers a method a static resource does not support:
// OPTIONS gets 204 with Allow, known methods 405 with Allow, others 501.
func methodNotAllowed(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Allow", allowedMethods)
	switch {
	case r.Method == http.MethodOptions:
		w.WriteHeader(http.StatusNoContent)
	case knownMethods[r.Method]:
		errorPage(w, r, http.StatusMethodNotAllowed, "Method Not Allowed",
			"Your browser approached me (at "+r.URL.Path+") with the method \""+r.Method+"\". I only allow the methods GET, HEAD here.")
	default:
		errorPage(w, r, http.StatusNotImplemented, "Not Implemented", "I don't know how to treat a "+r.Method+" request.")
	}
}

// redirectSlash sends a directory's URL without its trailing slash to the
// URL with it: 302 and a small page with a link, as twistd does. The
// path keeps the request's own percent-encoding, and the query stays.
func redirectSlash(w http.ResponseWriter, r *http.Request) {
	loc := r.URL.EscapedPath() + "/"
	if len(loc) > 1 && loc[1] == '/' {
		loc = "/" + trimLeadingSlashes(loc) // "//host" would leave the site
	}
	if r.URL.RawQuery != "" {
		loc += "?" + r.URL.RawQuery
	}
	esc := html.EscapeString(loc)
	body := "\n<html>\n    <head>\n        <meta http-equiv=\"refresh\" content=\"0;URL=" + esc +
		"\">\n    </head>\n    <body bgcolor=\"#FFFFFF\" text=\"#000000\">\n    <a href=\"" + esc +
		"\">click here</a>\n    </body>\n</html>\n"
	h := w.Header()
	h.Set("Location", loc)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusFound)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(body))
	}
}

func trimLeadingSlashes(s string) string {
	for len(s) > 0 && s[0] == '/' {
		s = s[1:]
	}
	return s
}
