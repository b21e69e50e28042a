package mail

import (
	"encoding/base64"
	"slices"
	"strings"
	"testing"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// AUTH (RFC 5034) with PLAIN and LOGIN, with and without an initial
// response, and every way it can fail.
func TestPOP3Auth(t *testing.T) {
	s, _ := mailWith(t, 1, "--auth", "memory:joe@localhost:other")

	p := dialPOP3(t, s.pop3[0])
	p.ok("CAPA")
	if capa := p.multi(); !slices.Contains(capa, "SASL PLAIN LOGIN") {
		t.Errorf("CAPA has no SASL line: %q", capa)
	}
	p.ok("AUTH")
	if mechs := p.multi(); !slices.Equal(mechs, []string{"PLAIN", "LOGIN"}) {
		t.Errorf("bare AUTH lists %q", mechs)
	}
	for _, tc := range []struct{ cmd, want string }{
		{"AUTH CRAM-MD5", "-ERR unsupported mechanism"},
		{"AUTH PLAIN !!!", "-ERR initial response is not base64"},
		{"AUTH PLAIN a b c", "-ERR usage"},
	} {
		if l := p.cmd("%s", tc.cmd); !strings.HasPrefix(l, tc.want) {
			t.Errorf("%s: %q, want %q", tc.cmd, l, tc.want)
		}
	}
	if l := p.cmd("AUTH PLAIN"); l != "+ " {
		t.Fatalf("AUTH PLAIN without initial response: %q", l)
	}
	if l := p.cmd("*"); !strings.HasPrefix(l, "-ERR authentication cancelled") {
		t.Errorf("cancel: %q", l)
	}
	if l := p.cmd("AUTH PLAIN %s", b64("\x00joe@localhost\x00wrong")); !strings.HasPrefix(l, "-ERR [AUTH]") {
		t.Errorf("wrong password: %q", l)
	}
	if l := p.cmd("AUTH PLAIN %s", b64("\x00joe@localhost\x00pw")); !strings.HasPrefix(l, "+OK joe@localhost has 1 messages") {
		t.Errorf("PLAIN with initial response: %q", l)
	}
	p.ok("QUIT")

	// PLAIN over a continuation, with the --auth password of the same name.
	p = dialPOP3(t, s.pop3[0])
	if l := p.cmd("AUTH PLAIN"); l != "+ " {
		t.Fatalf("AUTH PLAIN: %q", l)
	}
	if l := p.cmd("%s", b64("joe@localhost\x00joe@localhost\x00other")); !strings.HasPrefix(l, "+OK") {
		t.Errorf("PLAIN continuation with --auth password: %q", l)
	}
	p.ok("QUIT")

	// LOGIN: user, then password, each asked for.
	p = dialPOP3(t, s.pop3[0])
	if l := p.cmd("AUTH LOGIN"); l != "+ "+b64("Username:") {
		t.Fatalf("AUTH LOGIN: %q", l)
	}
	if l := p.cmd("%s", b64("joe")); l != "+ "+b64("Password:") {
		t.Fatalf("after the user name: %q", l)
	}
	if l := p.cmd("%s", b64("pw")); !strings.HasPrefix(l, "+OK") {
		t.Errorf("LOGIN: %q", l)
	}
	if l := p.cmd("AUTH PLAIN %s", b64("\x00joe\x00pw")); !strings.HasPrefix(l, "-ERR") {
		t.Errorf("AUTH after login: %q", l)
	}
	p.ok("QUIT")

	// Three failures end the connection, as for PASS.
	p = dialPOP3(t, s.pop3[0])
	for i := range 3 {
		if l := p.cmd("AUTH PLAIN %s", b64("\x00nobody@localhost\x00pw")); !strings.HasPrefix(l, "-ERR [AUTH]") {
			t.Errorf("failure %d: %q", i+1, l)
		}
	}
	if _, err := p.r.ReadString('\n'); err == nil {
		t.Error("the connection stayed open after three failed AUTHs")
	}
}

// With TLS configured, AUTH waits for STLS, like USER.
func TestPOP3AuthNeedsTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key, _ := writeCert(t, dir)
	s := startMail(t, baseArgs(dir, "--tls-cert", cert, "--tls-key", key)...)
	p := dialPOP3(t, s.pop3[0])
	p.ok("CAPA")
	if capa := p.multi(); slices.ContainsFunc(capa, func(l string) bool { return strings.HasPrefix(l, "SASL") }) {
		t.Errorf("SASL offered in clear with TLS configured: %q", capa)
	}
	if l := p.cmd("AUTH PLAIN %s", b64("\x00joe\x00pw")); !strings.HasPrefix(l, "-ERR [AUTH] AUTH needs TLS") {
		t.Errorf("AUTH in clear: %q", l)
	}
}
