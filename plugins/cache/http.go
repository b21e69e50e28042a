package cache

import (
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"
	"time"
)

// pageLimit is how many entries the HTML page shows at most.
const pageLimit = 1000

// httpStatus is the JSON of /status: the store's status plus the open
// connections of the line and memcached services.
type httpStatus struct {
	Status
	Connections int `json:"connections"`
}

// newHTTPHandler serves the store read-only:
//
//	GET /              a small HTML page: status and entries
//	GET /status        the status as JSON
//	GET /entries       every entry as JSON, sorted by key (?limit=N)
//	GET /entries/KEY   one entry as JSON, or 404
func newHTTPHandler(s *Store, conns func() int) http.Handler {
	mux := http.NewServeMux()
	status := func() httpStatus { return httpStatus{s.Status(), conns()} }
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		items := s.Items(pageLimit + 1)
		more := len(items) > pageLimit
		if more {
			items = items[:pageLimit]
		}
		st := status()
		page.Execute(w, map[string]any{
			"S": st, "Uptime": time.Duration(st.Uptime * float64(time.Second)).Round(time.Second),
			"Items": items, "More": more, "Limit": pageLimit,
		})
	})
	mux.HandleFunc("GET /status", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, status()) })
	mux.HandleFunc("GET /entries", func(w http.ResponseWriter, r *http.Request) {
		limit := 0
		if v := r.URL.Query().Get("limit"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				writeJSON(w, http.StatusBadRequest, map[string]string{"error": "limit must be a whole number"})
				return
			}
			limit = n
		}
		writeJSON(w, http.StatusOK, s.Items(limit))
	})
	mux.HandleFunc("GET /entries/{key}", func(w http.ResponseWriter, r *http.Request) {
		key := r.PathValue("key")
		v, ok := s.Get(key)
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no entry " + strconv.Quote(key)})
			return
		}
		writeJSON(w, http.StatusOK, Item{key, v})
	})
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

var page = template.Must(template.New("page").Parse(`<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>gotwistd cache</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left;font-family:monospace}</style>
</head><body>
<h1>gotwistd cache</h1>
<table>
<tr><th>version</th><td>{{.S.Version}}</td></tr>
<tr><th>uptime</th><td>{{.Uptime}}</td></tr>
<tr><th>entries</th><td>{{.S.Entries}}{{if .S.MaxEntries}} of {{.S.MaxEntries}}{{end}}</td></tr>
<tr><th>bytes</th><td>{{.S.Bytes}}{{if .S.MaxBytes}} of {{.S.MaxBytes}}{{end}}</td></tr>
<tr><th>connections</th><td>{{.S.Connections}}</td></tr>
<tr><th>gets / hits / misses</th><td>{{.S.Gets}} / {{.S.Hits}} / {{.S.Misses}}</td></tr>
<tr><th>sets / deletes / evictions</th><td>{{.S.Sets}} / {{.S.Deletes}} / {{.S.Evictions}}</td></tr>
</table>
<h2>Entries</h2>
{{if .Items}}<table><tr><th>key</th><th>value</th></tr>
{{range .Items}}<tr><td>{{.Key}}</td><td>{{.Value}}</td></tr>
{{end}}</table>{{if .More}}<p>Only the first {{.Limit}} entries are shown; <a href="/entries">/entries</a> has them all.</p>{{end}}
{{else}}<p>The cache is empty.</p>{{end}}
<p>JSON: <a href="/status">/status</a>, <a href="/entries">/entries</a>, /entries/KEY</p>
</body></html>
`))
