package cache

import (
	"strings"
	"testing"
)

// FuzzExecute runs arbitrary command lines, each against the same small
// store: no panic, every reply line is one line, the limits hold, and a
// get after a successful set returns what was set.
func FuzzExecute(f *testing.F) {
	for _, s := range []string{
		"set k v", "get k", "delete k", "items", "status", "count", "clear", "version", "quit",
		"set  k  two  spaces", "SET K\x00 v", "get a b", "set", "set k", "get " + strings.Repeat("x", 300),
		"\tget k", "set k \xff\xfe", "frobnicate now",
	} {
		f.Add(s)
	}
	s := NewStore(50, 4096)
	f.Fuzz(func(t *testing.T, line string) {
		for _, reply := range execute(s, line) {
			if strings.ContainsAny(reply, "\n") {
				t.Fatalf("%q: reply %q spans lines", line, reply)
			}
		}
		if st := s.Status(); st.Entries > 50 || st.Bytes > 4096 {
			t.Fatalf("limits passed: %+v", st)
		}
		cmd, rest, _ := strings.Cut(strings.TrimLeft(line, " \t"), " ")
		if strings.EqualFold(cmd, "set") {
			key, value, ok := strings.Cut(strings.TrimLeft(rest, " "), " ")
			if ok && checkKey(key) == "" && key != "" && s.Fits(key, value) && !strings.Contains(key, "\t") {
				if got := execute(s, "get "+key); len(got) != 1 || got[0] != "VALUE "+value {
					t.Fatalf("%q then get: %q", line, got)
				}
			}
		}
	})
}
