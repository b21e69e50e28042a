package cache

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"

	"github.com/gotwistd/gotwistd/reactor"
	"github.com/gotwistd/gotwistd/runner"
	"github.com/gotwistd/gotwistd/service"
)

// gnet's import of ants starts a worker pool that lives as long as the
// process.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).purgeStaleWorkers"),
		goleak.IgnoreTopFunction("github.com/panjf2000/ants/v2.(*poolCommon).ticktock"),
	)
}

// running is a started cache tree.
type running struct {
	lines string // address of the line protocol
	http  string // base URL of the HTTP view, "" when off
}

// start builds the plugin from a command line, as `gotwistd --reactor R
// cache ARGS` would, and starts it on loopback ports.
func start(t *testing.T, reactorName string, args ...string) running {
	t.Helper()
	args = append([]string{"--port", "tcp:0:interface=127.0.0.1", "--http", "tcp:0:interface=127.0.0.1"}, args...)
	svc, err := runner.Build(Plugin(), args, runner.Env{Reactor: reactorName})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := svc.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := svc.Stop(context.Background()); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	m := svc.(*service.Multi)
	var r running
	l, _ := m.Lookup("cache")
	r.lines = l.(*reactor.Service).Addr().String()
	if h, ok := m.Lookup("cache-http"); ok {
		r.http = "http://" + h.(*service.Stream).Addr().String()
	}
	return r
}

func eachReactor(t *testing.T, fn func(t *testing.T, name string)) {
	for _, name := range reactor.Names() {
		t.Run(name, func(t *testing.T) { fn(t, name) })
	}
}

// client is a line-protocol client.
type client struct {
	t  *testing.T
	c  net.Conn
	br *bufio.Reader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{t, c, bufio.NewReader(c)}
}

// do sends line and returns the first reply line, without its CRLF.
func (c *client) do(line string) string {
	c.t.Helper()
	if _, err := io.WriteString(c.c, line+"\r\n"); err != nil {
		c.t.Fatal(err)
	}
	return c.read()
}

func (c *client) read() string {
	c.t.Helper()
	s, err := c.br.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read: %v (%q)", err, s)
	}
	if !strings.HasSuffix(s, "\r\n") {
		c.t.Fatalf("reply %q does not end in CRLF", s)
	}
	return strings.TrimSuffix(s, "\r\n")
}

func TestConversation(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		r := start(t, name)
		c := dial(t, r.lines)
		steps := []struct{ send, want string }{
			{"version", "VERSION " + Version},
			{"count", "COUNT 0"},
			{"get missing", "NOT_FOUND"},
			{"set greeting hello world", "STORED"},
			{"get greeting", "VALUE hello world"},
			{"set greeting bonjour", "STORED"},
			{"GET greeting", "VALUE bonjour"},
			{"set empty ", "STORED"},
			{"get empty", "VALUE "},
			{"set nul a\x00b", "STORED"},
			{"count", "COUNT 3"},
			{"delete empty", "DELETED"},
			{"delete empty", "NOT_FOUND"},
			{"frobnicate", `ERROR unknown command "frobnicate"; commands: version count clear items status get set delete quit`},
			{"get", "ERROR get needs a key: get KEY"},
			{"get a b", "ERROR get takes one key"},
			{"delete", "ERROR delete needs a key: delete KEY"},
			{"set", "ERROR set needs a key and a value: set KEY VALUE"},
			{"set onlykey", "ERROR set needs a value after the key: set KEY VALUE"},
			{"set " + strings.Repeat("k", 251) + " v", "ERROR key longer than 250 bytes"},
			{"count now", "ERROR count takes no arguments"},
		}
		for _, s := range steps {
			if got := c.do(s.send); got != s.want {
				t.Errorf("%q: got %q, want %q", s.send, got, s.want)
			}
		}
		io.WriteString(c.c, "\r\n  \ncount\n") // blank lines get no reply
		if got := c.read(); got != "COUNT 2" {
			t.Errorf("after a blank line: %q", got)
		}
		if got := c.do("items"); got != "ITEM greeting bonjour" {
			t.Errorf("items: %q", got)
		}
		if got := c.read(); got != "ITEM nul a\x00b" {
			t.Errorf("items: %q", got)
		}
		if got := c.read(); got != "END" {
			t.Errorf("items end: %q", got)
		}
		if got := c.do("status"); !strings.HasPrefix(got, "STATUS uptime=") || !strings.Contains(got, " entries=2 ") {
			t.Errorf("status: %q", got)
		}
		if got := c.do("clear"); got != "CLEARED 2" {
			t.Errorf("clear: %q", got)
		}
		io.WriteString(c.c, "quit\n")
		if rest, _ := io.ReadAll(c.br); len(rest) != 0 {
			t.Errorf("after quit: %q", rest)
		}
	})
}

func TestLongLineClosesConnection(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		r := start(t, name, "--max-line", "100")
		c := dial(t, r.lines)
		io.WriteString(c.c, "set k "+strings.Repeat("v", 200)+"\r\nget k\r\n")
		if got := c.read(); got != "ERROR line too long (more than 100 bytes); closing" {
			t.Errorf("%q", got)
		}
		if rest, _ := io.ReadAll(c.br); len(rest) != 0 {
			t.Errorf("after the long line: %q", rest)
		}
		c2 := dial(t, r.lines)
		if got := c2.do("get k"); got != "NOT_FOUND" {
			t.Errorf("the long set was stored: %q", got)
		}
	})
}

func TestSharedBetweenClients(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		r := start(t, name)
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c := dial(t, r.lines)
				for j := range 50 {
					key := fmt.Sprintf("k%d-%d", i, j)
					if got := c.do("set " + key + " v"); got != "STORED" {
						t.Errorf("set: %q", got)
						return
					}
				}
			}()
		}
		wg.Wait()
		if got := dial(t, r.lines).do("count"); got != "COUNT 1000" {
			t.Errorf("%q", got)
		}
	})
}

func TestHTTPView(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		r := start(t, name)
		c := dial(t, r.lines)
		c.do("set b <script>alert(1)</script>")
		c.do("set a 1")
		get := func(path string) (int, string) {
			resp, err := http.Get(r.http + path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		code, body := get("/status")
		var st httpStatus
		if err := json.Unmarshal([]byte(body), &st); code != 200 || err != nil {
			t.Fatalf("/status %d %v: %s", code, err, body)
		}
		if st.Entries != 2 || st.Version != Version || st.Connections != 1 || st.Sets != 2 || st.MaxEntries != 100000 || st.MaxBytes != 64<<20 {
			t.Errorf("/status %+v", st)
		}
		code, body = get("/entries")
		var items []Item
		if err := json.Unmarshal([]byte(body), &items); code != 200 || err != nil || len(items) != 2 || items[0] != (Item{"a", "1"}) {
			t.Errorf("/entries %d %v %s", code, err, body)
		}
		if code, body = get("/entries?limit=1"); !strings.Contains(body, `"a"`) || strings.Contains(body, `"b"`) {
			t.Errorf("/entries?limit=1: %s", body)
		}
		if code, _ = get("/entries?limit=x"); code != 400 {
			t.Errorf("bad limit: %d", code)
		}
		if code, body = get("/entries/b"); code != 200 || !strings.Contains(body, `"value": "\u003cscript\u003e`) {
			t.Errorf("/entries/b %d %s", code, body)
		}
		if code, _ = get("/entries/nope"); code != 404 {
			t.Errorf("/entries/nope: %d", code)
		}
		code, body = get("/")
		if code != 200 || !strings.Contains(body, "&lt;script&gt;") || strings.Contains(body, "<script>") || !strings.Contains(body, "<td>2 of 100000</td>") {
			t.Errorf("/ %d: %s", code, body)
		}
		if code, _ = get("/nothing/here"); code != 404 {
			t.Errorf("unknown path: %d", code)
		}
	})
}

func TestNoHTTP(t *testing.T) {
	r := start(t, "netpoll", "--http", "")
	if r.http != "" {
		t.Error("HTTP service without --http")
	}
}

func TestEviction(t *testing.T) {
	r := start(t, "netpoll", "--max-entries", "3")
	c := dial(t, r.lines)
	for _, k := range []string{"a", "b", "c"} {
		c.do("set " + k + " v")
	}
	c.do("get a") // a is now the most recently used
	c.do("set d v")
	if got := c.do("get b"); got != "NOT_FOUND" {
		t.Errorf("b should have been evicted: %q", got)
	}
	for _, k := range []string{"a", "c", "d"} {
		if got := c.do("get " + k); got != "VALUE v" {
			t.Errorf("%s: %q", k, got)
		}
	}
}

func TestMemoryLimit(t *testing.T) {
	s := NewStore(0, 1000)
	big := strings.Repeat("x", 400)
	for i := range 10 {
		if !s.Set(fmt.Sprint(i), big) {
			t.Fatal("refused an entry that fits")
		}
		if st := s.Status(); st.Bytes > 1000 {
			t.Fatalf("%d bytes stored, limit 1000", st.Bytes)
		}
	}
	if s.Count() != 2 || s.Status().Evictions != 8 {
		t.Errorf("count %d, %+v", s.Count(), s.Status())
	}
	if s.Set("huge", strings.Repeat("y", 1000)) {
		t.Error("stored an entry larger than the limit")
	}
	r := start(t, "gnet", "--max-memory", "1K")
	if got := dial(t, r.lines).do("set k " + strings.Repeat("z", 2000)); got != "ERROR value too large for --max-memory" {
		t.Errorf("%q", got)
	}
}

func TestMakeErrors(t *testing.T) {
	cases := []struct {
		reactor string
		args    []string
		want    string
	}{
		{"netpoll", []string{"--max-memory", "lots"}, "--max-memory"},
		{"netpoll", []string{"--max-entries", "-1"}, "--max-entries"},
		{"netpoll", []string{"--max-line", "1"}, "--max-line"},
		{"netpoll", []string{"--port", "tcp:notaport"}, "--port"},
		{"netpoll", []string{"--http", "udp:53"}, "--http"},
		{"netpoll", []string{"--idle-timeout", "-1s"}, "--idle-timeout"},
		{"gnet", []string{"--port", "unix:/tmp/cache.sock"}, "use --reactor netpoll"},
	}
	for _, c := range cases {
		_, err := runner.Build(Plugin(), c.args, runner.Env{Reactor: c.reactor})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v on %s: %v, want %q", c.args, c.reactor, err, c.want)
		}
	}
	for in, want := range map[string]int64{"0": 0, "512K": 512 << 10, "64M": 64 << 20, "2G": 2 << 30, "10": 10, "64MB": 64 << 20, "1KiB": 1024} {
		if got, err := parseSize(in); err != nil || got != want {
			t.Errorf("parseSize(%q) = %d, %v", in, got, err)
		}
	}
}
