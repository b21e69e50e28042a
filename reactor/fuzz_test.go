package reactor

import (
	"bytes"
	"encoding/binary"
	"errors"
	"slices"
	"strings"
	"testing"
)

// chunk cuts data at the positions cuts gives (each byte a step of 0-255),
// so the fuzzer chooses split points anywhere, empty chunks included.
func chunk(data, cuts []byte) [][]byte {
	var out [][]byte
	for _, c := range cuts {
		n := min(int(c), len(data))
		out = append(out, data[:n])
		data = data[n:]
	}
	return append(out, data)
}

// lineRun is what a LineReceiver did with some input.
type lineRun struct {
	lines    []string
	raw      string
	exceeded bool
	wrote    string
}

func runLines(max int, chunks [][]byte) lineRun {
	l, ft := feed(max, nil, chunks...)
	return lineRun{l.got, string(l.raw), l.exceeded != nil, ft.out.String()}
}

// FuzzLineReceiver checks that the lines delivered do not depend on where
// the input is split, that no line is longer than MaxLength or holds a
// "\n", and that a line past MaxLength closes the connection. "RAW" and
// "LINE" switch modes along the way.
func FuzzLineReceiver(f *testing.F) {
	for _, s := range []string{
		"hello\r\nworld\n", "\x00\x00\n\r\n", "RAW\nraw\x00LINEback\n",
		strings.Repeat("a", 40) + "\n", strings.Repeat("b", 33) + "\r\n", "\r\r\r\n\n",
		"set k v\r\nget k\r\n",
	} {
		f.Add([]byte(s), []byte{1, 3, 0, 7})
	}
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		const max = 32
		whole := runLines(max, [][]byte{data})
		split := runLines(max, chunk(data, cuts))
		// A split inside the "LINE" marker hides it from the raw handler,
		// a property of the test handler and not of the receiver.
		if bytes.Contains(data, []byte("LINE")) || bytes.Contains(data, []byte("RAW")) {
			return
		}
		if !slices.Equal(whole.lines, split.lines) || whole.exceeded != split.exceeded || whole.wrote != split.wrote {
			t.Fatalf("whole %+v, split %+v", whole, split)
		}
		for _, line := range whole.lines {
			if len(line) > max || strings.Contains(line, "\n") {
				t.Fatalf("bad line %q", line)
			}
		}
		if whole.exceeded && whole.wrote != "ERROR line too long\r\n" {
			t.Fatalf("exceeded but wrote %q", whole.wrote)
		}
	})
}

// FuzzInt32StringReceiver checks that the strings delivered do not depend
// on where the input is split, that none exceeds MaxLength, and that a
// large prefix (up to 4 GiB) is refused without waiting for its bytes.
func FuzzInt32StringReceiver(f *testing.F) {
	f.Add(prefixed("hello", "", "x"), []byte{2, 5})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff, 1, 2, 3}, []byte{1})
	f.Add([]byte{0, 0, 0, 100, 0}, []byte{0, 0, 3})
	f.Add(append(prefixed("nul\x00"), 0, 0, 1, 0), []byte{4})
	f.Fuzz(func(t *testing.T, data, cuts []byte) {
		const max = 64
		run := func(chunks [][]byte) ([]string, error) {
			s := &strs{}
			r := &Int32StringReceiver{Handler: s, MaxLength: max}
			ft := &fakeTransport{}
			r.ConnectionMade(ft)
			for _, c := range chunks {
				r.DataReceived(c)
			}
			return s.got, ft.reason
		}
		whole, wErr := run([][]byte{data})
		split, sErr := run(chunk(data, cuts))
		if !slices.Equal(whole, split) || !errors.Is(wErr, ErrStringLengthExceeded) != !errors.Is(sErr, ErrStringLengthExceeded) {
			t.Fatalf("whole %q %v, split %q %v", whole, wErr, split, sErr)
		}
		// Walk the input by hand: every complete string with a prefix
		// within the limit must have been delivered, then a refusal.
		var want []string
		refused := false
		for in := data; len(in) >= 4; {
			n := binary.BigEndian.Uint32(in)
			if n > max {
				refused = true
				break
			}
			if len(in) < 4+int(n) {
				break
			}
			want = append(want, string(in[4:4+n]))
			in = in[4+n:]
		}
		if !slices.Equal(whole, want) || refused != errors.Is(wErr, ErrStringLengthExceeded) {
			t.Fatalf("got %q (%v), want %q (refused %v)", whole, wErr, want, refused)
		}
	})
}

// FuzzParseClient checks that ParseClient never panics and that what it
// accepts round-trips through String.
func FuzzParseClient(f *testing.F) {
	for _, s := range []string{
		"tcp:host=127.0.0.1:port=80", "tcp:localhost:8000:timeout=2.5", `tcp6:host=\:\:1:port=53`,
		"unix:/run/x.sock", `unix:path=a\:b\=c\\d`, "tcp:a:80:host=b", "", ":", "\\",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, desc string) {
		e, err := ParseClient(desc)
		if err != nil {
			return
		}
		again, err := ParseClient(e.String())
		if err != nil || again != e {
			t.Fatalf("%q parses to %+v, whose String %q gives %+v, %v", desc, e, e.String(), again, err)
		}
	})
}
