package reactor

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// fakeTransport records what a receiver writes and how it closes.
type fakeTransport struct {
	out    bytes.Buffer
	closed bool
	reason error
	paused bool
}

func (f *fakeTransport) Write(p []byte) (int, error) {
	if f.closed {
		return 0, ErrNotConnected
	}
	return f.out.Write(p)
}
func (f *fakeTransport) WriteSequence(ps [][]byte) {
	for _, p := range ps {
		f.Write(p)
	}
}
func (f *fakeTransport) LoseConnection()                              { f.loseWithReason(ErrConnectionDone) }
func (f *fakeTransport) AbortConnection()                             { f.loseWithReason(ErrConnectionAborted) }
func (f *fakeTransport) loseWithReason(err error)                     { f.closed, f.reason = true, err }
func (f *fakeTransport) isOpen() bool                                 { return !f.closed }
func (f *fakeTransport) isPaused() bool                               { return f.paused }
func (f *fakeTransport) GetPeer() net.Addr                            { return nil }
func (f *fakeTransport) GetHost() net.Addr                            { return nil }
func (f *fakeTransport) CallLater(time.Duration, func()) *DelayedCall { return nil }
func (f *fakeTransport) RegisterProducer(Producer)                    {}
func (f *fakeTransport) UnregisterProducer()                          {}
func (f *fakeTransport) PauseProducing()                              { f.paused = true }
func (f *fakeTransport) ResumeProducing()                             { f.paused = false }
func (f *fakeTransport) StopProducing()                               { f.LoseConnection() }

// lines collects what a LineReceiver delivers. A line "RAW" switches to
// raw mode; raw data "LINE" switches back.
type lines struct {
	r        *LineReceiver
	got      []string
	raw      []byte
	exceeded []byte
	onLine   func(l *lines, line string)
}

func (l *lines) ConnectionMade(r *LineReceiver) { l.r = r }
func (l *lines) ConnectionLost(error)           {}
func (l *lines) LineReceived(line []byte) {
	l.got = append(l.got, string(line))
	if string(line) == "RAW" {
		l.r.SetRawMode()
	}
	if l.onLine != nil {
		l.onLine(l, string(line))
	}
}
func (l *lines) RawDataReceived(data []byte) {
	if i := bytes.Index(data, []byte("LINE")); i >= 0 {
		l.raw = append(l.raw, data[:i]...)
		l.r.SetLineMode(data[i+4:])
		return
	}
	l.raw = append(l.raw, data...)
}
func (l *lines) LineLengthExceeded(line []byte) {
	l.exceeded = append([]byte(nil), line...)
	l.r.SendLineString("ERROR line too long")
}

// feed runs a fresh LineReceiver over chunks.
func feed(max int, delim []byte, chunks ...[]byte) (*lines, *fakeTransport) {
	l := &lines{}
	lr := &LineReceiver{Handler: l, MaxLength: max, Delimiter: delim}
	ft := &fakeTransport{}
	lr.ConnectionMade(ft)
	for _, c := range chunks {
		lr.DataReceived(c)
	}
	return l, ft
}

func TestLineReceiverSplits(t *testing.T) {
	cases := []struct {
		in   string
		want []string
	}{
		{"a\r\nb\nc", []string{"a", "b"}},
		{"\n\r\n", []string{"", ""}},
		{"nul\x00inside\n", []string{"nul\x00inside"}},
		{"cr\rin the middle\r\n", []string{"cr\rin the middle"}},
		{"two\r\r\n", []string{"two\r"}},
		{"no end", nil},
	}
	for _, c := range cases {
		// Every split point gives the same lines as one chunk.
		for i := 0; i <= len(c.in); i++ {
			l, _ := feed(0, nil, []byte(c.in[:i]), []byte(c.in[i:]))
			if strings.Join(l.got, "|") != strings.Join(c.want, "|") {
				t.Errorf("%q split at %d: %q, want %q", c.in, i, l.got, c.want)
			}
		}
		// And byte by byte.
		var chunks [][]byte
		for i := range len(c.in) {
			chunks = append(chunks, []byte{c.in[i]})
		}
		if l, _ := feed(0, nil, chunks...); strings.Join(l.got, "|") != strings.Join(c.want, "|") {
			t.Errorf("%q byte by byte: %q", c.in, l.got)
		}
	}
}

func TestLineReceiverDelimiter(t *testing.T) {
	l, _ := feed(0, []byte("\x00"), []byte("a\nb\x00c\x00d"))
	if strings.Join(l.got, "|") != "a\nb|c" {
		t.Errorf("NUL-delimited: %q", l.got)
	}
	l, _ = feed(0, crlf, []byte("a\nb\r\nc\r"), []byte("\n"))
	if strings.Join(l.got, "|") != "a\nb|c" {
		t.Errorf("strict CRLF: %q", l.got)
	}
}

func TestLineReceiverMaxLength(t *testing.T) {
	ok := strings.Repeat("x", 10)
	cases := []struct {
		name     string
		chunks   []string
		lines    []string
		exceeded bool
	}{
		{"at the limit", []string{ok + "\r\n"}, []string{ok}, false},
		{"at the limit, CR apart", []string{ok + "\r", "\n"}, []string{ok}, false},
		{"one over", []string{ok + "y\n"}, nil, true},
		{"one over, no end yet", []string{"a\n", ok + "yz"}, []string{"a"}, true},
		{"nothing after the long line", []string{ok + "yy\nb\n"}, nil, true},
	}
	for _, c := range cases {
		var chunks [][]byte
		for _, s := range c.chunks {
			chunks = append(chunks, []byte(s))
		}
		l, ft := feed(10, nil, chunks...)
		if strings.Join(l.got, "|") != strings.Join(c.lines, "|") {
			t.Errorf("%s: lines %q", c.name, l.got)
		}
		if got := l.exceeded != nil; got != c.exceeded {
			t.Errorf("%s: exceeded %v", c.name, got)
			continue
		}
		if !c.exceeded {
			continue
		}
		if !errors.Is(ft.reason, ErrLineLengthExceeded) {
			t.Errorf("%s: closed with %v", c.name, ft.reason)
		}
		if len(l.exceeded) > 10 {
			t.Errorf("%s: LineLengthExceeded got %d bytes, more than MaxLength", c.name, len(l.exceeded))
		}
		if ft.out.String() != "ERROR line too long\r\n" {
			t.Errorf("%s: wrote %q", c.name, ft.out.String())
		}
	}
}

func TestLineReceiverRawMode(t *testing.T) {
	in := "one\nRAW\nraw bytes\n\x00LINEtwo\nthree\n"
	for i := 0; i <= len(in); i++ {
		l, _ := feed(0, nil, []byte(in[:i]), []byte(in[i:]))
		// A split inside "LINE" leaves it in two raw chunks: the marker
		// is only seen whole, which the full-string case checks.
		if i > strings.Index(in, "LINE") && i < strings.Index(in, "LINE")+4 {
			continue
		}
		if got := strings.Join(l.got, "|"); got != "one|RAW|two|three" {
			t.Errorf("split at %d: lines %q", i, got)
		}
		if string(l.raw) != "raw bytes\n\x00" {
			t.Errorf("split at %d: raw %q", i, l.raw)
		}
	}
}

func TestLineReceiverPauseBetweenLines(t *testing.T) {
	l := &lines{}
	l.onLine = func(l *lines, line string) {
		if line == "pause" {
			l.r.Transport().PauseProducing()
		}
	}
	lr := NewLineReceiver(l)
	ft := &fakeTransport{}
	lr.ConnectionMade(ft)
	lr.DataReceived([]byte("a\npause\nb\nc\n"))
	if strings.Join(l.got, "|") != "a|pause" {
		t.Fatalf("while paused: %q", l.got)
	}
	ft.ResumeProducing()
	lr.DataReceived(nil) // what the transport does after ResumeProducing
	if strings.Join(l.got, "|") != "a|pause|b|c" {
		t.Fatalf("after resume: %q", l.got)
	}
}

func TestLineReceiverClearAndStop(t *testing.T) {
	l := &lines{}
	l.onLine = func(l *lines, line string) {
		switch line {
		case "clear":
			if rest := string(l.r.ClearLineBuffer()); rest != "dropped\nalso" {
				t.Errorf("ClearLineBuffer returned %q", rest)
			}
		case "quit":
			l.r.Transport().LoseConnection()
		}
	}
	lr := NewLineReceiver(l)
	lr.ConnectionMade(&fakeTransport{})
	lr.DataReceived([]byte("a\nclear\ndropped\nalso"))
	lr.DataReceived([]byte("\nb\nquit\nignored\n"))
	if got := strings.Join(l.got, "|"); got != "a|clear||b|quit" { // the "\n" after the cleared "also" ends an empty line
		t.Errorf("lines %q", got)
	}
}

// strs collects what an Int32StringReceiver delivers.
type strs struct {
	r        *Int32StringReceiver
	got      []string
	exceeded uint32
}

func (s *strs) ConnectionMade(r *Int32StringReceiver) { s.r = r }
func (s *strs) ConnectionLost(error)                  {}
func (s *strs) StringReceived(b []byte)               { s.got = append(s.got, string(b)) }
func (s *strs) LengthLimitExceeded(n uint32)          { s.exceeded = n }

func prefixed(ss ...string) []byte {
	var b []byte
	for _, s := range ss {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	return b
}

func TestInt32StringReceiver(t *testing.T) {
	in := prefixed("hello", "", "nul\x00byte", strings.Repeat("x", 300))
	for i := 0; i <= len(in); i++ {
		for j := i; j <= len(in); j += 7 {
			s := &strs{}
			r := NewInt32StringReceiver(s)
			r.ConnectionMade(&fakeTransport{})
			r.DataReceived(in[:i])
			r.DataReceived(in[i:j])
			r.DataReceived(in[j:])
			if len(s.got) != 4 || s.got[0] != "hello" || s.got[1] != "" || s.got[2] != "nul\x00byte" || len(s.got[3]) != 300 {
				t.Fatalf("split %d/%d: %q", i, j, s.got)
			}
		}
	}
}

func TestInt32StringReceiverLimits(t *testing.T) {
	s := &strs{}
	r := &Int32StringReceiver{Handler: s, MaxLength: 10}
	ft := &fakeTransport{}
	r.ConnectionMade(ft)
	r.DataReceived(append(prefixed("ok"), 0xff, 0xff, 0xff, 0xff, 'x'))
	r.DataReceived(prefixed("after"))
	if len(s.got) != 1 || s.exceeded != 0xffffffff || !errors.Is(ft.reason, ErrStringLengthExceeded) {
		t.Errorf("got %q, exceeded %d, closed with %v", s.got, s.exceeded, ft.reason)
	}
	if err := r.SendString(make([]byte, 11)); !errors.Is(err, ErrStringLengthExceeded) {
		t.Errorf("SendString over MaxLength: %v", err)
	}
	ft2 := &fakeTransport{}
	r2 := NewInt32StringReceiver(&strs{})
	r2.ConnectionMade(ft2)
	r2.SendString([]byte("abc"))
	if !bytes.Equal(ft2.out.Bytes(), prefixed("abc")) {
		t.Errorf("SendString wrote %q", ft2.out.Bytes())
	}
}

// upper answers each line in upper case, with a 10-byte limit.
type upper struct {
	r    *LineReceiver
	lost chan error
}

func (u *upper) ConnectionMade(r *LineReceiver) { u.r = r }
func (u *upper) ConnectionLost(err error)       { u.lost <- err }
func (u *upper) LineReceived(line []byte)       { u.r.SendLine(bytes.ToUpper(line)) }
func (u *upper) LineLengthExceeded([]byte)      { u.r.SendLineString("ERROR line too long") }

func TestLineReceiverOverTheNetwork(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		lost := make(chan error, 1)
		s := serve(t, name, FactoryFunc(func(net.Addr) Protocol {
			return &LineReceiver{Handler: &upper{lost: lost}, MaxLength: 10}
		}))
		c := dial(t, s)
		br := bufio.NewReader(c)
		io.WriteString(c, "hello\r\nlf only\n")
		if a, b := readLine(t, br), readLine(t, br); a != "HELLO\r\n" || b != "LF ONLY\r\n" {
			t.Errorf("%q %q", a, b)
		}
		io.WriteString(c, strings.Repeat("y", 11)+"\nnot this\n")
		if got := readLine(t, br); got != "ERROR line too long\r\n" {
			t.Errorf("%q", got)
		}
		if rest, _ := io.ReadAll(br); len(rest) != 0 {
			t.Errorf("after the long line: %q", rest)
		}
		if err := <-lost; !errors.Is(err, ErrLineLengthExceeded) {
			t.Errorf("reason %v", err)
		}
	})
}

// reverser answers each string reversed.
type reverser struct{ r *Int32StringReceiver }

func (v *reverser) ConnectionMade(r *Int32StringReceiver) { v.r = r }
func (v *reverser) ConnectionLost(error)                  {}
func (v *reverser) StringReceived(s []byte) {
	out := make([]byte, len(s))
	for i, b := range s {
		out[len(s)-1-i] = b
	}
	v.r.SendString(out)
}

func TestInt32OverTheNetwork(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		s := serve(t, name, FactoryFunc(func(net.Addr) Protocol { return NewInt32StringReceiver(&reverser{}) }))
		c := dial(t, s)
		c.Write(prefixed("abc", strings.Repeat("ab", 20000)))
		want := prefixed("cba", strings.Repeat("ba", 20000))
		got := make([]byte, len(want))
		if _, err := io.ReadFull(c, got); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%v", err)
		}
		c.Write([]byte{0x7f, 0xff, 0xff, 0xff}) // 2 GiB announced: refused at once
		if rest := readAll(t, c); len(rest) != 0 {
			t.Errorf("%q", rest)
		}
	})
}
