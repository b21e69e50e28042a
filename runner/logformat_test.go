package runner

import (
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
)

type memLines struct {
	mu    sync.Mutex
	lines []string
	lvls  []slog.Level
}

func (m *memLines) writeLine(l slog.Level, line []byte) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lines = append(m.lines, string(line))
	m.lvls = append(m.lvls, l)
	return nil
}

func TestLineFormat(t *testing.T) {
	out := &logOutput{}
	mem := &memLines{}
	log := out.logger("echo")
	log.Info("held before the sink is set")
	out.sink.setWriter(mem)
	log.Info("hello", "peer", "127.0.0.1:5", "note", "two words")
	log.With(SystemKey, "echo,3,127.0.0.1").Warn("narrowed")
	log.Info("first\nsecond\n")
	log.Debug("not shown at info")
	out.level.Set(slog.LevelDebug)
	log.WithGroup("g").Debug("shown", "k", 1)

	line := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d{4} \[([^\]]+)\] (.*)\n$`)
	want := [][2]string{
		{"echo", "held before the sink is set"},
		{"echo", `hello peer=127.0.0.1:5 note="two words"`},
		{"echo,3,127.0.0.1#warn", "narrowed"},
		{"echo", "first\n\tsecond"},
		{"echo#debug", "shown g.k=1"},
	}
	if len(mem.lines) != len(want) {
		t.Fatalf("lines %q", mem.lines)
	}
	for i, w := range want {
		m := line.FindStringSubmatch(strings.Replace(mem.lines[i], "\n\t", "\\n\\t", 1))
		got := [2]string{}
		if m != nil {
			got = [2]string{m[1], strings.Replace(m[2], "\\n\\t", "\n\t", 1)}
		}
		if got != w {
			t.Errorf("line %d: %q, want [%s] %q", i, mem.lines[i], w[0], w[1])
		}
	}
}
