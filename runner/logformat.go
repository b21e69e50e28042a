package runner

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // local time from TZ even in a chroot or a minimal image
)

// SystemKey is the attribute that names the [system] part of a log line:
// Env.Logger carries the plugin's name in it, and a service may narrow it
// with logger.With(runner.SystemKey, "echo,3,127.0.0.1").
const SystemKey = "system"

// timeLayout is twistd's timestamp: local time, whole seconds, offset
// without a colon (2026-11-24T16:39:38+0000).
const timeLayout = "2006-01-02T15:04:05-0700"

// lineHandler writes twistd-shaped lines:
//
//	2026-11-24T16:39:38+0000 [echo] message key=value
//
// Levels other than info show after the system, as twistd's new-style
// events do ([echo#warn]). The lines after the first of a multi-line
// message start with a TAB.
type lineHandler struct {
	out    *sink
	level  slog.Leveler
	system string
	attrs  string // pre-formatted " key=value" pairs from WithAttrs
	group  string // prefix for keys from WithGroup
}

func newLineHandler(out *sink, level slog.Leveler) *lineHandler {
	return &lineHandler{out: out, level: level, system: "-"}
}

func (h *lineHandler) Enabled(_ context.Context, l slog.Level) bool {
	return l >= h.level.Level()
}

func (h *lineHandler) Handle(_ context.Context, r slog.Record) error {
	var b bytes.Buffer
	t := r.Time
	if t.IsZero() {
		t = time.Now()
	}
	b.WriteString(t.Format(timeLayout))
	system := h.system
	var attrs strings.Builder
	attrs.WriteString(h.attrs)
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == SystemKey && h.group == "" {
			system = a.Value.String()
			return true
		}
		writeAttr(&attrs, h.group, a)
		return true
	})
	b.WriteString(" [")
	b.WriteString(system)
	if r.Level != slog.LevelInfo {
		b.WriteString("#" + strings.ToLower(r.Level.String()))
	}
	b.WriteString("] ")
	msg := r.Message + attrs.String()
	b.WriteString(strings.ReplaceAll(strings.TrimRight(msg, "\n"), "\n", "\n\t"))
	b.WriteByte('\n')
	return h.out.write(r.Level, b.Bytes())
}

func (h *lineHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	var sb strings.Builder
	sb.WriteString(h.attrs)
	for _, a := range as {
		if a.Key == SystemKey && h.group == "" {
			c.system = a.Value.String()
			continue
		}
		writeAttr(&sb, h.group, a)
	}
	c.attrs = sb.String()
	return &c
}

func (h *lineHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	c := *h
	c.group = h.group + name + "."
	return &c
}

func writeAttr(sb *strings.Builder, group string, a slog.Attr) {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return
	}
	if a.Value.Kind() == slog.KindGroup {
		for _, g := range a.Value.Group() {
			writeAttr(sb, group+a.Key+".", g)
		}
		return
	}
	v := a.Value.String()
	if strings.ContainsAny(v, " \t\n\"=") || v == "" {
		v = fmt.Sprintf("%q", v)
	}
	fmt.Fprintf(sb, " %s%s=%s", group, a.Key, v)
}

// lineWriter is where a sink sends finished lines; syslog needs the level.
type lineWriter interface {
	writeLine(level slog.Level, line []byte) error
}

// sink serializes whole lines to one destination. Until the destination is
// set, lines are kept in memory, so what Make logs before the log file is
// open is written first once it is (as twistd does).
type sink struct {
	mu      sync.Mutex
	w       lineWriter
	pending []pendingLine
}

type pendingLine struct {
	level slog.Level
	line  []byte
}

func (s *sink) write(level slog.Level, line []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w == nil {
		if len(s.pending) < 1000 {
			s.pending = append(s.pending, pendingLine{level, append([]byte(nil), line...)})
		}
		return nil
	}
	return s.w.writeLine(level, line)
}

// setWriter sends the held lines, then everything after them, to w.
func (s *sink) setWriter(w lineWriter) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.w = w
	for _, p := range s.pending {
		_ = w.writeLine(p.level, p.line)
	}
	s.pending = nil
}
