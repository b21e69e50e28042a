package web

import (
	"bufio"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"gopkg.in/natefinch/lumberjack.v2"
)

// accessLog writes one line per request, in the Combined Log Format or as
// JSON, to its own size-rotated file (--logfile) or else to the main log.
//
// Lines for the file are gathered in memory and written every flush
// interval (--access-log-flush, like nginx's access_log buffer= flush=),
// when 64 KiB are pending, on SIGHUP and on stop; with an interval of 0
// each line is written at once.
type accessLog struct {
	json  bool
	file  *lumberjack.Logger // nil: lines go to log
	log   *slog.Logger
	flush time.Duration
	bufs  sync.Pool
	now   atomic.Pointer[clfTime]

	mu      sync.Mutex
	pending []byte
	stop    chan struct{} // closed to end the flusher
	done    chan struct{}
}

// flushAt is how much pending text makes the writer flush at once.
const flushAt = 64 << 10

func newAccessLog(spec accessLogSpec, log *slog.Logger) *accessLog {
	a := &accessLog{json: spec.json, log: log, flush: spec.flush}
	a.bufs.New = func() any { b := make([]byte, 0, 256); return &b }
	if spec.file != "" {
		size := spec.maxSizeMB
		if size == 0 {
			size = 1 << 20 // a terabyte: never in practice
		}
		a.file = &lumberjack.Logger{Filename: spec.file, MaxSize: size, MaxBackups: spec.maxBackups, LocalTime: true}
	}
	return a
}

// open creates or opens the file now (in PrivilegedStart, before any
// privilege drop), so a bad path fails the start and the descriptor stays
// usable afterwards.
func (a *accessLog) open() error {
	if a.file == nil {
		return nil
	}
	_, err := a.file.Write(nil)
	return err
}

// start runs the flusher, when lines are buffered.
func (a *accessLog) start() {
	if a.file == nil || a.flush <= 0 {
		return
	}
	stop, done := make(chan struct{}), make(chan struct{})
	a.mu.Lock()
	a.stop, a.done = stop, done
	a.mu.Unlock()
	go func() {
		defer close(done)
		t := time.NewTicker(a.flush)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				a.mu.Lock()
				a.flushLocked()
				a.mu.Unlock()
			}
		}
	}()
}

func (a *accessLog) flushLocked() {
	if len(a.pending) > 0 {
		_, _ = a.file.Write(a.pending)
		a.pending = a.pending[:0]
	}
}

// reopen writes what is pending and closes the file; the next line opens
// it again by name, which is what an external logrotate needs (SIGHUP).
func (a *accessLog) reopen() error {
	if a.file == nil {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.flushLocked()
	return a.file.Close()
}

// close stops the flusher, writes what is pending and closes the file.
func (a *accessLog) close() {
	if a.file == nil {
		return
	}
	a.mu.Lock()
	stop := a.stop
	a.stop = nil // from now on, lines are written at once
	a.mu.Unlock()
	if stop != nil {
		close(stop)
		<-a.done
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.flushLocked()
	_ = a.file.Close()
}

// wrap returns next with every request logged when it completes.
func (a *accessLog) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		var rw http.ResponseWriter = rec
		if rf, ok := w.(io.ReaderFrom); ok {
			rw = &recorderRF{recorder: rec, rf: rf}
		}
		next.ServeHTTP(rw, r)
		a.write(r, rec, start)
	})
}

func (a *accessLog) write(r *http.Request, rec *recorder, start time.Time) {
	bp := a.bufs.Get().(*[]byte)
	b := (*bp)[:0]
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	if a.json {
		b = a.appendJSON(b, r, status, rec.bytes, start)
	} else {
		b = a.appendCombined(b, r, status, rec.bytes, start)
	}
	if a.file != nil {
		b = append(b, '\n')
		a.mu.Lock()
		if a.flush <= 0 || a.stop == nil {
			_, _ = a.file.Write(b)
		} else {
			a.pending = append(a.pending, b...)
			if len(a.pending) >= flushAt {
				a.flushLocked()
			}
		}
		a.mu.Unlock()
	} else {
		a.log.Info(string(b))
	}
	*bp = b
	a.bufs.Put(bp)
}

// clfTime caches the formatted time of one second.
type clfTime struct {
	sec int64
	s   string
}

func (a *accessLog) clf(t time.Time) string {
	sec := t.Unix()
	if c := a.now.Load(); c != nil && c.sec == sec {
		return c.s
	}
	c := &clfTime{sec: sec, s: t.Format("02/Jan/2006:15:04:05 -0700")}
	a.now.Store(c)
	return c.s
}

func remoteHost(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil || host == "" {
		if r.RemoteAddr == "" || r.RemoteAddr == "@" {
			return "-"
		}
		return r.RemoteAddr
	}
	return host
}

// appendCombined writes the Combined Log Format:
//
//	127.0.0.1 - - [24/Nov/2026:16:43:19 +0000] "GET / HTTP/1.1" 200 6 "-" "curl/7.88.1"
//
// Quotes, backslashes and control bytes in the request line, referer and
// user agent are escaped as \" \\ and \xHH (nginx's way), so a client
// cannot forge a line.
func (a *accessLog) appendCombined(b []byte, r *http.Request, status int, n int64, start time.Time) []byte {
	b = append(b, remoteHost(r)...)
	b = append(b, " - - ["...)
	b = append(b, a.clf(start)...)
	b = append(b, "] \""...)
	b = appendEscaped(b, r.Method)
	b = append(b, ' ')
	b = appendEscaped(b, r.RequestURI)
	b = append(b, ' ')
	b = appendEscaped(b, r.Proto)
	b = append(b, "\" "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	if n == 0 {
		b = append(b, '-')
	} else {
		b = strconv.AppendInt(b, n, 10)
	}
	b = append(b, " \""...)
	b = appendField(b, r.Header["Referer"])
	b = append(b, "\" \""...)
	b = appendField(b, r.Header["User-Agent"])
	return append(b, '"')
}

func appendField(b []byte, v []string) []byte {
	if len(v) == 0 || v[0] == "" {
		return append(b, '-')
	}
	return appendEscaped(b, v[0])
}

func appendEscaped(b []byte, s string) []byte {
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20 || c >= 0x7f:
			b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendJSON writes one JSON object:
// {"time":"…","remote":"…","method":"GET","uri":"/","proto":"HTTP/1.1",
// "status":200,"bytes":6,"referer":"…","user_agent":"…","host":"…",
// "duration_ms":0.12,"tls":false}
func (a *accessLog) appendJSON(b []byte, r *http.Request, status int, n int64, start time.Time) []byte {
	b = append(b, `{"time":`...)
	b = appendJSONString(b, start.Format(time.RFC3339Nano))
	b = append(b, `,"remote":`...)
	b = appendJSONString(b, remoteHost(r))
	b = append(b, `,"method":`...)
	b = appendJSONString(b, r.Method)
	b = append(b, `,"uri":`...)
	b = appendJSONString(b, r.RequestURI)
	b = append(b, `,"proto":`...)
	b = appendJSONString(b, r.Proto)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"bytes":`...)
	b = strconv.AppendInt(b, n, 10)
	b = append(b, `,"referer":`...)
	b = appendJSONString(b, r.Header.Get("Referer"))
	b = append(b, `,"user_agent":`...)
	b = appendJSONString(b, r.Header.Get("User-Agent"))
	b = append(b, `,"host":`...)
	b = appendJSONString(b, r.Host)
	b = append(b, `,"duration_ms":`...)
	b = strconv.AppendFloat(b, float64(time.Since(start).Microseconds())/1000, 'f', 3, 64)
	b = append(b, `,"tls":`...)
	b = strconv.AppendBool(b, r.TLS != nil)
	return append(b, '}')
}

// appendJSONString writes s as a JSON string; bytes that are not UTF-8
// become U+FFFD.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else if r == '\u2028' || r == '\u2029' {
			b = append(b, `\u202`...)
			b = append(b, hex[r&15])
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// recorder remembers the status and body size a handler wrote. It keeps
// http.ResponseController working through Unwrap, and passes Flush and
// Hijack on (streaming proxies, websockets).
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 && code >= 200 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if r.status == 0 {
		r.status = http.StatusSwitchingProtocols
	}
	return http.NewResponseController(r.ResponseWriter).Hijack()
}

// recorderRF keeps the underlying ReadFrom, which is how net/http uses
// sendfile(2).
type recorderRF struct {
	*recorder
	rf io.ReaderFrom
}

func (r *recorderRF) ReadFrom(src io.Reader) (int64, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.rf.ReadFrom(src)
	r.bytes += n
	return n, err
}

// started reports whether the response status has gone out.
func (r *recorder) started() bool { return r.status != 0 }
