package web

import (
	"net/http"
	"strconv"
)

// demoPage is what `gotwistd web` serves without --path, like twistd's
// "Twisted Web Demo" page.
const demoPage = `<html>
<head><title>gotwistd Web Demo</title></head>
<body>
<h1>gotwistd Web Demo</h1>
<p>Hello! This is a gotwistd web test page. Serve your own files with --path DIR.</p>
</body>
</html>
`

// demo serves demoPage at "/" and 404 elsewhere.
type demo struct{}

func (demo) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !readMethod(r.Method) {
		methodNotAllowed(w, r)
		return
	}
	if r.URL.Path != "/" {
		notFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(demoPage)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(demoPage))
	}
}
