package cache

import (
	"fmt"
	"net"
	"strconv"
	"strings"

	"github.com/gotwistd/gotwistd/reactor"
)

// Version is what the version command and the HTTP status report.
const Version = "gotwistd-cache 1.0"

// maxKey is the longest key accepted, as memcached.
const maxKey = 250

// factory builds one lineProtocol per connection; they share the store,
// which guards itself.
type factory struct {
	store   *Store
	maxLine int
}

func (f *factory) BuildProtocol(net.Addr) reactor.Protocol {
	return &reactor.LineReceiver{Handler: &lineProtocol{store: f.store}, MaxLength: f.maxLine}
}

// lineProtocol is the cache's text protocol: one command per line, one
// reply line per command (items: one line per entry and END).
type lineProtocol struct {
	store *Store
	r     *reactor.LineReceiver
}

func (p *lineProtocol) ConnectionMade(r *reactor.LineReceiver) { p.r = r }
func (p *lineProtocol) ConnectionLost(error)                   {}

// LineLengthExceeded answers before the receiver closes the connection.
func (p *lineProtocol) LineLengthExceeded([]byte) {
	p.r.SendLineString(fmt.Sprintf("ERROR line too long (more than %d bytes); closing", p.r.MaxLength))
}

func (p *lineProtocol) LineReceived(line []byte) {
	for _, reply := range execute(p.store, string(line)) {
		if reply == quit {
			p.r.Transport().LoseConnection()
			return
		}
		p.r.SendLineString(reply)
	}
}

// quit is execute's way of asking to close the connection.
const quit = "\x00quit"

// execute runs one command line against the store and returns the reply
// lines. It is the whole protocol, apart from the transport.
func execute(s *Store, line string) []string {
	cmd, rest, _ := strings.Cut(strings.TrimLeft(line, " \t"), " ")
	if cmd == "" {
		return nil // blank lines are ignored
	}
	noArgs := func(f func() string) []string {
		if strings.TrimSpace(rest) != "" {
			return []string{fmt.Sprintf("ERROR %s takes no arguments", cmd)}
		}
		return []string{f()}
	}
	switch strings.ToLower(cmd) {
	case "version":
		return noArgs(func() string { return "VERSION " + Version })
	case "count":
		return noArgs(func() string { return "COUNT " + strconv.Itoa(s.Count()) })
	case "clear":
		return noArgs(func() string { return "CLEARED " + strconv.Itoa(s.Clear()) })
	case "status":
		return noArgs(func() string { return statusLine(s.Status()) })
	case "quit":
		return []string{quit}
	case "items":
		if strings.TrimSpace(rest) != "" {
			return []string{"ERROR items takes no arguments"}
		}
		var out []string
		for _, it := range s.Items(0) {
			out = append(out, "ITEM "+it.Key+" "+it.Value)
		}
		return append(out, "END")
	case "get", "delete":
		key, err := oneKey(cmd, rest)
		if err != "" {
			return []string{err}
		}
		if strings.ToLower(cmd) == "delete" {
			if s.Delete(key) {
				return []string{"DELETED"}
			}
			return []string{"NOT_FOUND"}
		}
		if v, ok := s.Get(key); ok {
			return []string{"VALUE " + v}
		}
		return []string{"NOT_FOUND"}
	case "set":
		key, value, ok := strings.Cut(strings.TrimLeft(rest, " "), " ")
		if key == "" {
			return []string{"ERROR set needs a key and a value: set KEY VALUE"}
		}
		if !ok {
			return []string{"ERROR set needs a value after the key: set KEY VALUE"}
		}
		if err := checkKey(key); err != "" {
			return []string{err}
		}
		if !s.Set(key, value) {
			return []string{"ERROR value too large for --max-memory"}
		}
		return []string{"STORED"}
	}
	return []string{fmt.Sprintf("ERROR unknown command %q; commands: version count clear items status get set delete quit", cmd)}
}

// oneKey checks that rest is exactly one valid key.
func oneKey(cmd, rest string) (string, string) {
	fields := strings.Fields(rest)
	switch {
	case len(fields) == 0:
		return "", fmt.Sprintf("ERROR %s needs a key: %s KEY", cmd, cmd)
	case len(fields) > 1:
		return "", fmt.Sprintf("ERROR %s takes one key", cmd)
	}
	return fields[0], checkKey(fields[0])
}

// checkKey refuses keys memcached would refuse: too long, or with control
// characters (spaces cannot occur: they separate the fields).
func checkKey(key string) string {
	if len(key) > maxKey {
		return fmt.Sprintf("ERROR key longer than %d bytes", maxKey)
	}
	for i := 0; i < len(key); i++ {
		if key[i] < 0x21 || key[i] == 0x7f {
			return "ERROR key contains a control character"
		}
	}
	return ""
}

func statusLine(st Status) string {
	return fmt.Sprintf("STATUS uptime=%.0fs entries=%d bytes=%d gets=%d hits=%d misses=%d sets=%d deletes=%d evictions=%d",
		st.Uptime, st.Entries, st.Bytes, st.Gets, st.Hits, st.Misses, st.Sets, st.Deletes, st.Evictions)
}
