package reactor

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// ClientEndpoint is a parsed client endpoint string: where Connect dials.
type ClientEndpoint struct {
	// Network is "tcp", "tcp4", "tcp6" or "unix", for net.Dial.
	Network string
	// Address is "host:port" or a socket path.
	Address string
	// Timeout bounds the connection attempt (default 30s, as Twisted).
	Timeout time.Duration
}

// String returns the canonical client string.
func (e ClientEndpoint) String() string {
	var s string
	if e.Network == "unix" {
		s = "unix:path=" + escapeClient(e.Address)
	} else {
		host, port, _ := net.SplitHostPort(e.Address)
		kind := "tcp"
		if e.Network == "tcp6" {
			kind = "tcp6"
		}
		s = kind + ":host=" + escapeClient(host) + ":port=" + port
	}
	if e.Timeout != defaultClientTimeout {
		s += ":timeout=" + strconv.FormatFloat(e.Timeout.Seconds(), 'f', -1, 64)
	}
	return s
}

const defaultClientTimeout = 30 * time.Second

// ParseClient parses Twisted's client endpoint strings
// (clientFromString):
//
//	tcp:host=HOST:port=PORT[:timeout=SECONDS]   or tcp:HOST:PORT
//	tcp6:host=HOST:port=PORT[:timeout=SECONDS]
//	unix:path=PATH[:timeout=SECONDS]            or unix:PATH
//
// A backslash makes the next character literal, so an IPv6 host is
// written host=\:\:1. The error names the bad part.
func ParseClient(desc string) (ClientEndpoint, error) {
	fields := splitClient(desc)
	bad := func(format string, args ...any) (ClientEndpoint, error) {
		return ClientEndpoint{}, fmt.Errorf("client endpoint %q: %s", desc, fmt.Sprintf(format, args...))
	}
	kind := strings.ToLower(fields[0].value)
	if fields[0].hasKey || kind == "" {
		return bad("start with a kind: tcp, tcp6 or unix")
	}
	var params []string
	switch kind {
	case "tcp", "tcp6":
		params = []string{"host", "port", "timeout"}
	case "unix":
		params = []string{"path", "timeout"}
	default:
		return bad("kind %q is unknown; use tcp, tcp6 or unix", fields[0].value)
	}
	vals := map[string]string{}
	pos := 0
	for _, f := range fields[1:] {
		key := f.key
		if !f.hasKey {
			if pos >= len(params) {
				return bad("too many positional fields")
			}
			key = params[pos]
			pos++
		} else if !contains(params, key) {
			return bad("keyword %q is unknown for %s (it takes %s)", key, kind, strings.Join(params, ", "))
		}
		if _, dup := vals[key]; dup {
			return bad("%s is given twice", key)
		}
		vals[key] = f.value
	}
	e := ClientEndpoint{Network: kind, Timeout: defaultClientTimeout}
	if t, ok := vals["timeout"]; ok {
		secs, err := strconv.ParseFloat(t, 64)
		if err != nil || secs <= 0 || secs > 1e6 {
			return bad("timeout %q is not a number of seconds above 0", t)
		}
		e.Timeout = time.Duration(secs * float64(time.Second))
	}
	if kind == "unix" {
		if vals["path"] == "" {
			return bad("path is missing; write unix:path=/run/x.sock")
		}
		e.Address = vals["path"]
		return e, nil
	}
	host, port := vals["host"], vals["port"]
	if host == "" {
		return bad("host is missing; write %s:host=127.0.0.1:port=8000", kind)
	}
	if strings.ContainsFunc(host, func(r rune) bool { return r <= ' ' || r == 0x7f || strings.ContainsRune("[]/\\", r) }) {
		return bad("host %q is not a host name or IP address (IPv6 goes without brackets: host=\\:\\:1)", host)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return bad("port %q is not a number 1-65535", port)
	}
	e.Address = net.JoinHostPort(host, port)
	return e, nil
}

type clientField struct {
	key, value string
	hasKey     bool
}

// splitClient splits on unescaped colons; in each field the first
// unescaped '=' separates a keyword from its value.
func splitClient(s string) []clientField {
	var (
		out []clientField
		cur clientField
		b   strings.Builder
	)
	flush := func() {
		cur.value = b.String()
		out = append(out, cur)
		cur = clientField{}
		b.Reset()
	}
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == '\\' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		case ch == ':':
			flush()
		case ch == '=' && !cur.hasKey:
			cur.key, cur.hasKey = b.String(), true
			b.Reset()
		default:
			b.WriteByte(ch)
		}
	}
	flush()
	return out
}

func escapeClient(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `:`, `\:`, `=`, `\=`)
	return r.Replace(s)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
