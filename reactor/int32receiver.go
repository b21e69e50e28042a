package reactor

import (
	"encoding/binary"
	"fmt"
	"math"
)

// DefaultMaxStringLength is Int32StringReceiver's default MaxLength
// (Twisted's IntNStringReceiver.MAX_LENGTH).
const DefaultMaxStringLength = 99999

// StringHandler is a protocol of length-prefixed strings run by an
// Int32StringReceiver.
type StringHandler interface {
	// ConnectionMade is called first; keep r to send strings.
	ConnectionMade(r *Int32StringReceiver)
	// StringReceived is called for each string. s is valid only until
	// StringReceived returns.
	StringReceived(s []byte)
	// ConnectionLost is called last (see Protocol).
	ConnectionLost(reason error)
}

// LengthLimitHandler is implemented by string handlers that want to
// answer a length prefix above MaxLength before the connection is closed.
type LengthLimitHandler interface {
	LengthLimitExceeded(length uint32)
}

// Int32StringReceiver is a Protocol for strings each preceded by its
// length as a 4-byte big-endian unsigned integer (Twisted's
// Int32StringReceiver). A prefix above MaxLength calls the handler's
// LengthLimitExceeded, if it has one, and closes the connection once what
// was written has been sent; ConnectionLost gets ErrStringLengthExceeded.
// Nothing is allocated for a string before its bytes arrive, so a huge
// prefix costs nothing.
type Int32StringReceiver struct {
	// Handler receives the strings; required.
	Handler StringHandler
	// MaxLength is the longest string accepted (default 99999).
	MaxLength int

	t    Transport
	buf  []byte
	dead bool
}

// NewInt32StringReceiver returns an Int32StringReceiver for h with the
// defaults.
func NewInt32StringReceiver(h StringHandler) *Int32StringReceiver {
	return &Int32StringReceiver{Handler: h}
}

const prefixLen = 4

// Transport returns the connection's transport (nil before ConnectionMade).
func (r *Int32StringReceiver) Transport() Transport { return r.t }

// SendString writes the length prefix and s. A string too long for the
// prefix, or longer than MaxLength (the peer would refuse it), is an
// error and nothing is sent.
func (r *Int32StringReceiver) SendString(s []byte) error {
	if uint64(len(s)) > math.MaxUint32 || (r.MaxLength > 0 && len(s) > r.MaxLength) {
		return fmt.Errorf("%w: %d bytes", ErrStringLengthExceeded, len(s))
	}
	var p [prefixLen]byte
	binary.BigEndian.PutUint32(p[:], uint32(len(s)))
	return writeSeq(r.t, p[:], s)
}

// ConnectionMade implements Protocol.
func (r *Int32StringReceiver) ConnectionMade(t Transport) {
	r.t = t
	if r.MaxLength <= 0 {
		r.MaxLength = DefaultMaxStringLength
	}
	r.Handler.ConnectionMade(r)
}

// ConnectionLost implements Protocol.
func (r *Int32StringReceiver) ConnectionLost(reason error) {
	r.buf = nil
	r.Handler.ConnectionLost(reason)
}

// DataReceived implements Protocol.
func (r *Int32StringReceiver) DataReceived(data []byte) {
	if r.dead {
		return
	}
	in := data
	if len(r.buf) > 0 {
		r.buf = append(r.buf, data...)
		in = r.buf
	}
	for len(in) >= prefixLen && !stopped(r.t) {
		n := binary.BigEndian.Uint32(in)
		if uint64(n) > uint64(r.MaxLength) {
			r.dead = true
			r.buf = nil
			if h, ok := r.Handler.(LengthLimitHandler); ok {
				h.LengthLimitExceeded(n)
			}
			loseWith(r.t, fmt.Errorf("%w: a prefix announced %d bytes, the limit is %d", ErrStringLengthExceeded, n, r.MaxLength))
			return
		}
		end := prefixLen + int(n)
		if len(in) < end {
			break
		}
		s := in[prefixLen:end]
		in = in[end:]
		r.Handler.StringReceived(s)
		if r.dead {
			return
		}
	}
	switch {
	case len(in) == 0:
		r.buf = r.buf[:0]
	case len(r.buf) >= len(in) && &r.buf[len(r.buf)-1] == &in[len(in)-1]:
		k := copy(r.buf, in)
		r.buf = r.buf[:k]
	default:
		r.buf = append(r.buf[:0], in...)
	}
}
