package endpoint

import (
	"strings"
)

// field is one colon-separated piece of an endpoint string, unescaped.
type field struct {
	keyed bool   // an unescaped '=' was present: key=value
	key   string // text before the first unescaped '='
	value string // the rest (or the whole field when not keyed)
}

// tokenize splits desc on unescaped ':' and each field on its first
// unescaped '='. A backslash makes the next byte literal; a backslash with
// nothing after it is an error (Twisted crashes there).
func tokenize(desc string) ([]field, error) {
	var (
		fields []field
		cur    field
		b      strings.Builder
	)
	for i := 0; i < len(desc); i++ {
		switch c := desc[i]; {
		case c == '\\':
			if i+1 == len(desc) {
				return nil, bad(`\`, `the trailing backslash escapes nothing; write \\ for a literal backslash`)
			}
			i++
			b.WriteByte(desc[i])
		case c == ':':
			cur.value = b.String()
			fields = append(fields, cur)
			cur = field{}
			b.Reset()
		case c == '=' && !cur.keyed:
			cur.keyed, cur.key = true, b.String()
			b.Reset()
		default:
			b.WriteByte(c)
		}
	}
	cur.value = b.String()
	return append(fields, cur), nil
}

// Escape returns s with backslashes, colons and equals signs escaped, ready
// to be used as one value in an endpoint string:
// "unix:" + Escape("/run/a:b.sock").
func Escape(s string) string {
	if !strings.ContainsAny(s, `\:=`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\\' || c == ':' || c == '=' {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Parse reads an endpoint description such as "tcp:8080:interface=127.0.0.1"
// and returns its endpoint: one of *TCP, *UDP, *Unix, *TLS or *Systemd.
// Every value is checked here, and TLS key and certificate files are read
// here (relative paths against the current directory), so a bad string or a
// missing file fails before anything is bound or any privilege is dropped.
// Every error is a *ParseError.
func Parse(desc string) (Endpoint, error) {
	e, err := parse(desc)
	if err != nil {
		return nil, withDesc(desc, err)
	}
	return e, nil
}

func parse(desc string) (Endpoint, error) {
	fields, err := tokenize(desc)
	if err != nil {
		return nil, err
	}
	// The first positional field names the kind (keywords may come before
	// it, as in Twisted); the other positional fields fill parameters.
	var pos []string
	var kw []field
	for _, f := range fields {
		if f.keyed {
			kw = append(kw, f)
		} else {
			pos = append(pos, f.value)
		}
	}
	if len(pos) == 0 {
		return nil, bad("kind", "the kind is missing; start with one of %s, e.g. tcp:8080", list(kindNames()))
	}
	k, pos, err := lookupKind(pos)
	if err != nil {
		return nil, err
	}
	a, err := k.assign(pos, kw)
	if err != nil {
		return nil, err
	}
	return k.build(a)
}
