package cache

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/gotwistd/gotwistd/reactor"
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

// sink is a Transport that keeps what is written.
type sink struct {
	out    []byte
	closed bool
}

func (s *sink) Write(p []byte) (int, error) {
	if !s.closed {
		s.out = append(s.out, p...)
	}
	return len(p), nil
}
func (s *sink) WriteSequence(ps [][]byte) {
	for _, p := range ps {
		s.Write(p)
	}
}
func (s *sink) LoseConnection()                                      { s.closed = true }
func (s *sink) AbortConnection()                                     { s.closed = true }
func (s *sink) GetPeer() net.Addr                                    { return nil }
func (s *sink) GetHost() net.Addr                                    { return nil }
func (s *sink) CallLater(time.Duration, func()) *reactor.DelayedCall { return nil }
func (s *sink) RegisterProducer(reactor.Producer)                    {}
func (s *sink) UnregisterProducer()                                  {}
func (s *sink) PauseProducing()                                      {}
func (s *sink) ResumeProducing()                                     {}
func (s *sink) StopProducing()                                       {}

// FuzzMemcached feeds arbitrary bytes, split where the fuzzer says, to the
// memcached protocol: no panic, the replies do not depend on the splits,
// and the store's limits hold.
func FuzzMemcached(f *testing.F) {
	for _, s := range []string{
		"set a 1 0 5\r\nhello\r\nget a\r\n", "set b 0 0 3 noreply\r\nx\r\n\r\nget b c\r\n",
		"add a 0 0 1\r\n1\r\nreplace z 0 0 1\r\n2\r\ndelete a\r\nflush_all\r\n",
		"set big 0 0 99999999\r\nxx", "set k 0 -1 0\r\n\r\nget k\r\n", "bogus\r\n\x00\r\n",
	} {
		f.Add([]byte(s), []byte{3, 9, 1})
	}
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		run := func(chunks [][]byte) string {
			store := NewStore(20, 4096)
			lr := (&mcFactory{store: store}).BuildProtocol(nil)
			out := &sink{}
			lr.ConnectionMade(out)
			for _, c := range chunks {
				lr.DataReceived(c)
			}
			if st := store.Status(); st.Entries > 20 || st.Bytes > 4096 {
				t.Fatalf("limits passed: %+v", st)
			}
			return string(out.out)
		}
		var chunks [][]byte
		rest := data
		for _, c := range cuts {
			n := min(int(c), len(rest))
			chunks = append(chunks, rest[:n])
			rest = rest[n:]
		}
		chunks = append(chunks, rest)
		if whole, split := run([][]byte{data}), run(chunks); whole != split {
			t.Fatalf("whole %q, split %q", whole, split)
		}
	})
}
