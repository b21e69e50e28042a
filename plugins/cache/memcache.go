package cache

import (
	"bytes"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/gotwistd/gotwistd/reactor"
)

// The memcached text protocol subset (memcached's doc/protocol.txt):
//
//	get KEY...                                  VALUE KEY FLAGS BYTES / data / ... END
//	set|add|replace KEY FLAGS EXPTIME BYTES [noreply]  then BYTES of data and CRLF
//	                                            STORED | NOT_STORED
//	delete KEY [noreply]                        DELETED | NOT_FOUND
//	flush_all [noreply]                         OK
//	version                                     VERSION ...
//	quit
//
// Errors are memcached's: ERROR (unknown command), CLIENT_ERROR ...
// (bad arguments or data block), SERVER_ERROR object too large for cache.
// Not spoken: gets/cas, append/prepend, incr/decr, touch, stats, the
// meta commands and the binary protocol.

// mcMaxLine is the longest command line memcached itself accepts.
const mcMaxLine = 2048

// mcMaxItem is the largest data block accepted, memcached's default item
// size limit (-I 1m).
const mcMaxItem = 1 << 20

// thirtyDays is where memcached's exptime stops being relative.
const thirtyDays = 60 * 60 * 24 * 30

type mcFactory struct{ store *Store }

func (f *mcFactory) BuildProtocol(net.Addr) reactor.Protocol {
	return &reactor.LineReceiver{Handler: &mcProtocol{store: f.store}, MaxLength: mcMaxLine}
}

// mcProtocol reads command lines, and switches the LineReceiver to raw mode
// for the data block of a storage command.
type mcProtocol struct {
	store *Store
	r     *reactor.LineReceiver

	// The storage command waiting for its data block.
	set       *mcSet
	data      []byte
	remaining int  // bytes of the block and its CRLF still to come
	discard   bool // the block is too large: swallow it
}

type mcSet struct {
	mode    SetMode
	key     string
	flags   uint32
	expires int64
	n       int
	noreply bool
}

func (p *mcProtocol) ConnectionMade(r *reactor.LineReceiver) { p.r = r }
func (p *mcProtocol) ConnectionLost(error)                   {}

func (p *mcProtocol) LineLengthExceeded([]byte) {
	p.r.SendLineString("CLIENT_ERROR line too long")
}

func (p *mcProtocol) reply(noreply bool, line string) {
	if !noreply {
		p.r.SendLineString(line)
	}
}

func (p *mcProtocol) LineReceived(line []byte) {
	f := strings.Fields(string(line))
	if len(f) == 0 {
		p.r.SendLineString("ERROR")
		return
	}
	switch f[0] {
	case "get":
		if len(f) < 2 {
			p.r.SendLineString("ERROR")
			return
		}
		t := p.r.Transport()
		for _, key := range f[1:] {
			if v, flags, ok := p.store.GetItem(key); ok {
				t.Write([]byte("VALUE " + key + " " + strconv.FormatUint(uint64(flags), 10) + " " + strconv.Itoa(len(v)) + "\r\n" + v + "\r\n"))
			}
		}
		t.Write([]byte("END\r\n"))
	case "set", "add", "replace":
		p.storage(f)
	case "delete":
		noreply := len(f) == 3 && f[2] == "noreply"
		if len(f) != 2 && !noreply {
			p.r.SendLineString("CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]")
			return
		}
		if p.store.Delete(f[1]) {
			p.reply(noreply, "DELETED")
		} else {
			p.reply(noreply, "NOT_FOUND")
		}
	case "flush_all":
		p.store.Clear()
		p.reply(f[len(f)-1] == "noreply", "OK")
	case "version":
		p.r.SendLineString("VERSION " + Version)
	case "quit":
		p.r.Transport().LoseConnection()
	default:
		p.r.SendLineString("ERROR")
	}
}

// storage parses "set KEY FLAGS EXPTIME BYTES [noreply]" and waits for
// the data block in raw mode.
func (p *mcProtocol) storage(f []string) {
	bad := func() { p.r.SendLineString("CLIENT_ERROR bad command line format") }
	if len(f) != 5 && !(len(f) == 6 && f[5] == "noreply") {
		bad()
		return
	}
	flags, err1 := strconv.ParseUint(f[2], 10, 32)
	exp, err2 := strconv.ParseInt(f[3], 10, 64)
	n, err3 := strconv.Atoi(f[4])
	if err1 != nil || err2 != nil || err3 != nil || n < 0 || checkKey(f[1]) != "" {
		bad()
		return
	}
	s := &mcSet{key: f[1], flags: uint32(flags), n: n, noreply: len(f) == 6}
	switch f[0] {
	case "add":
		s.mode = SetIfMissing
	case "replace":
		s.mode = SetIfPresent
	}
	switch {
	case exp < 0:
		s.expires = 1 // long past: stored already expired, as memcached does
	case exp == 0:
	case exp <= thirtyDays:
		s.expires = time.Now().Add(time.Duration(exp) * time.Second).UnixNano()
	default:
		s.expires = time.Unix(exp, 0).UnixNano()
	}
	p.set, p.data, p.remaining = s, p.data[:0], n+2
	p.discard = n > mcMaxItem || (p.store.maxBytes > 0 && cost(s.key, "")+int64(n) > p.store.maxBytes)
	p.r.SetRawMode()
}

// RawDataReceived collects the data block and its CRLF, then stores it and
// goes back to lines with whatever followed.
func (p *mcProtocol) RawDataReceived(data []byte) {
	take := min(p.remaining, len(data))
	if !p.discard {
		p.data = append(p.data, data[:take]...)
	}
	p.remaining -= take
	if p.remaining > 0 {
		return
	}
	s := p.set
	switch {
	case p.discard:
		p.reply(s.noreply, "SERVER_ERROR object too large for cache")
	case !bytes.HasSuffix(p.data, []byte("\r\n")):
		p.r.SendLineString("CLIENT_ERROR bad data chunk")
	default:
		switch p.store.SetItem(s.key, string(p.data[:s.n]), s.flags, s.expires, s.mode) {
		case Stored:
			p.reply(s.noreply, "STORED")
		case NotStored:
			p.reply(s.noreply, "NOT_STORED")
		case TooLarge:
			p.reply(s.noreply, "SERVER_ERROR object too large for cache")
		}
	}
	p.set, p.discard = nil, false
	if cap(p.data) > 64<<10 {
		p.data = nil
	}
	p.r.SetLineMode(data[take:])
}
