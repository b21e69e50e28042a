package reactor

import (
	"bytes"
	"fmt"
)

// DefaultMaxLineLength is LineReceiver's default MaxLength (Twisted's
// LineReceiver.MAX_LENGTH).
const DefaultMaxLineLength = 16384

// LineHandler is a line-oriented protocol run by a LineReceiver.
type LineHandler interface {
	// ConnectionMade is called first; keep r to send lines.
	ConnectionMade(r *LineReceiver)
	// LineReceived is called for each line, without its delimiter. line is
	// valid only until LineReceived returns.
	LineReceived(line []byte)
	// ConnectionLost is called last (see Protocol).
	ConnectionLost(reason error)
}

// RawHandler is implemented by line handlers that call SetRawMode: in raw
// mode the bytes go to RawDataReceived as they come.
type RawHandler interface {
	RawDataReceived(data []byte)
}

// LineLengthHandler is implemented by line handlers that want to answer a
// line longer than MaxLength (say, with an error message) before the
// connection is closed. line is what was buffered, cut to MaxLength.
type LineLengthHandler interface {
	LineLengthExceeded(line []byte)
}

// LineReceiver is a Protocol that splits the byte stream into lines
// (Twisted's LineReceiver). With the default Delimiter a line ends at "\n"
// and a "\r" before it is dropped, so CRLF and LF clients both work; lines
// are sent with "\r\n".
//
// A line longer than MaxLength (or MaxLength bytes with no end in sight)
// calls the handler's LineLengthExceeded, if it has one, and then closes
// the connection once what was written has been sent; ConnectionLost gets
// ErrLineLengthExceeded, and nothing after the long line is delivered.
//
// Lines already received are delivered one after another in one
// DataReceived; a handler that calls PauseProducing on the transport stops
// that until ResumeProducing, as does a close of the connection.
type LineReceiver struct {
	// Handler receives the lines; required.
	Handler LineHandler
	// MaxLength is the longest line accepted, delimiter excluded
	// (default 16384).
	MaxLength int
	// Delimiter ends lines when set (e.g. "\r\n" strictly, or "\x00");
	// nil means "\n" with an optional "\r" before it.
	Delimiter []byte
	// SendDelimiter is what SendLine appends (default "\r\n").
	SendDelimiter []byte

	t       Transport
	buf     []byte // received, not delivered
	raw     bool
	dead    bool   // a line was too long: ignore the rest
	busy    bool   // process is running
	cur     []byte // while busy: what follows the line being delivered
	cleared bool   // ClearLineBuffer was called while busy
	extra   []byte // SetLineMode's extra while busy
	scanned int    // bytes at the start of buf known to hold no delimiter
}

// NewLineReceiver returns a LineReceiver for h with the defaults.
func NewLineReceiver(h LineHandler) *LineReceiver { return &LineReceiver{Handler: h} }

var crlf = []byte("\r\n")

// Transport returns the connection's transport (nil before ConnectionMade).
func (r *LineReceiver) Transport() Transport { return r.t }

// SendLine writes line and the send delimiter.
func (r *LineReceiver) SendLine(line []byte) error {
	d := r.SendDelimiter
	if d == nil {
		d = crlf
	}
	return writeSeq(r.t, line, d)
}

// SendLineString is SendLine for a string.
func (r *LineReceiver) SendLineString(line string) error { return r.SendLine([]byte(line)) }

// SetRawMode sends what follows, including the rest of the current input,
// to the handler's RawDataReceived. The handler must be a RawHandler.
func (r *LineReceiver) SetRawMode() {
	if _, ok := r.Handler.(RawHandler); !ok {
		panic(fmt.Sprintf("reactor: SetRawMode on a LineReceiver whose handler %T has no RawDataReceived", r.Handler))
	}
	r.raw = true
}

// SetLineMode goes back to lines; extra, if any, is handled as if it had
// just arrived (Twisted's setLineMode(extra)).
func (r *LineReceiver) SetLineMode(extra []byte) {
	r.raw = false
	switch {
	case len(extra) == 0:
	case r.busy:
		r.extra = append(r.extra, extra...)
	default:
		r.buf = append(r.buf, extra...)
		r.process(nil)
	}
}

// ClearLineBuffer drops and returns what was received but not delivered.
func (r *LineReceiver) ClearLineBuffer() []byte {
	if r.busy {
		b := append(append([]byte(nil), r.cur...), r.extra...)
		r.cleared, r.extra = true, nil
		return b
	}
	b := r.buf
	r.buf, r.scanned = nil, 0
	return b
}

// ConnectionMade implements Protocol.
func (r *LineReceiver) ConnectionMade(t Transport) {
	r.t = t
	if r.MaxLength <= 0 {
		r.MaxLength = DefaultMaxLineLength
	}
	r.Handler.ConnectionMade(r)
}

// ConnectionLost implements Protocol.
func (r *LineReceiver) ConnectionLost(reason error) {
	r.buf = nil
	r.Handler.ConnectionLost(reason)
}

// DataReceived implements Protocol.
func (r *LineReceiver) DataReceived(data []byte) {
	if r.dead {
		return
	}
	if r.raw && len(r.buf) == 0 && !r.busy {
		if len(data) > 0 {
			r.Handler.(RawHandler).RawDataReceived(data)
		}
		return
	}
	r.process(data)
}

// process delivers the lines in r.buf followed by data. When r.buf is
// empty, data is scanned in place and only an unfinished line is copied.
// A handler may call SetRawMode, SetLineMode or ClearLineBuffer from
// LineReceived or RawDataReceived; busy makes those calls leave their
// work to the loop below.
func (r *LineReceiver) process(data []byte) {
	if r.busy {
		r.extra = append(r.extra, data...)
		return
	}
	r.busy = true
	defer func() { r.busy = false }()
	in := data
	skip := 0 // where the first search for a delimiter may start
	if len(r.buf) > 0 {
		r.buf = append(r.buf, data...)
		in = r.buf
		skip = r.scanned
	}
	r.scanned = 0
	unfinished := false // the loop stopped at a line with no end yet
	for !r.dead {
		if len(in) == 0 {
			if len(r.extra) == 0 {
				break
			}
			in, r.extra = r.extra, nil
			continue
		}
		if r.raw {
			raw := in
			in = nil
			r.Handler.(RawHandler).RawDataReceived(raw)
			continue
		}
		if stopped(r.t) {
			break
		}
		line, rest, ok := r.split(in, skip)
		skip = 0
		if !ok {
			if len(in) > r.MaxLength+r.slack() {
				r.exceeded(in)
			}
			unfinished = true
			break
		}
		if len(line) > r.MaxLength {
			r.exceeded(line)
			break
		}
		in = rest
		r.cur = rest
		r.Handler.LineReceived(line)
		if r.cleared {
			r.cleared = false
			in = nil
		}
	}
	r.cur = nil
	if r.dead {
		r.buf, r.extra = nil, nil
		return
	}
	extra := len(r.extra) > 0
	r.keep(in)
	if unfinished && !extra {
		// Searched to the end: the next search starts where a delimiter
		// could first be, so a long line arriving in small pieces costs
		// linear time, not quadratic.
		r.scanned = max(0, len(r.buf)-r.slack())
	}
}

// keep stores the undelivered bytes in r.buf, which in may alias (as a
// suffix), and appends what SetLineMode added meanwhile.
func (r *LineReceiver) keep(in []byte) {
	if len(r.extra) > 0 {
		in = append(append([]byte(nil), in...), r.extra...)
		r.extra = nil
	}
	switch {
	case len(in) == 0:
		r.buf = r.buf[:0]
	case len(r.buf) >= len(in) && &r.buf[len(r.buf)-1] == &in[len(in)-1]:
		n := copy(r.buf, in)
		r.buf = r.buf[:n]
	default:
		r.buf = append(r.buf[:0], in...)
	}
}

// split cuts one line off the front of in, searching for its end from
// byte skip on.
func (r *LineReceiver) split(in []byte, skip int) (line, rest []byte, ok bool) {
	skip = min(skip, len(in))
	if r.Delimiter == nil {
		i := bytes.IndexByte(in[skip:], '\n')
		if i < 0 {
			return nil, in, false
		}
		i += skip
		line = in[:i]
		if n := len(line); n > 0 && line[n-1] == '\r' {
			line = line[:n-1]
		}
		return line, in[i+1:], true
	}
	i := bytes.Index(in[skip:], r.Delimiter)
	if i < 0 {
		return nil, in, false
	}
	i += skip
	return in[:i], in[i+len(r.Delimiter):], true
}

// slack is how many bytes past MaxLength an unfinished line may hold and
// still turn out to be short enough: the start of a delimiter.
func (r *LineReceiver) slack() int {
	if r.Delimiter == nil {
		return 1 // a "\r" waiting for its "\n"
	}
	return len(r.Delimiter) - 1
}

func (r *LineReceiver) exceeded(line []byte) {
	r.dead = true
	r.buf = nil
	if h, ok := r.Handler.(LineLengthHandler); ok {
		h.LineLengthExceeded(line[:min(len(line), r.MaxLength)])
	}
	loseWith(r.t, fmt.Errorf("%w: more than %d bytes", ErrLineLengthExceeded, r.MaxLength))
}

// The receivers ask the transport a few things Transport does not
// export; a transport from elsewhere (a test double) simply lacks them.
type (
	pausable interface{ isPaused() bool }
	closer   interface{ loseWithReason(error) }
	stateful interface{ isOpen() bool }
)

// stopped reports whether delivery should stop: the transport is paused,
// or closing.
func stopped(t Transport) bool {
	if p, ok := t.(pausable); ok && p.isPaused() {
		return true
	}
	if s, ok := t.(stateful); ok && !s.isOpen() {
		return true
	}
	return false
}

// loseWith closes t gracefully, with reason for ConnectionLost when t
// supports it.
func loseWith(t Transport, reason error) {
	if c, ok := t.(closer); ok {
		c.loseWithReason(reason)
		return
	}
	t.LoseConnection()
}

// writeSeq writes the parts as one write.
func writeSeq(t Transport, parts ...[]byte) error {
	if t == nil {
		return ErrNotConnected
	}
	if c, ok := t.(*conn); ok {
		return c.write(parts...)
	}
	t.WriteSequence(parts)
	return nil
}
