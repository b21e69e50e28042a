package mail

import (
	"crypto/tls"
	"encoding/base64"
	"net/smtp"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gotwistd/gotwistd/endpoint"
)

const bcryptSecret = "$2a$04$APKyqZpgxXCtfpjysEKabeiY2NCtXuxFuCHn1G6qUp/MXci5KOeLG" // "secret"

func TestStartTLSAndAuth(t *testing.T) {
	dir := t.TempDir()
	cert, key, pool := writeCert(t, dir)
	authFile := filepath.Join(dir, "auth")
	os.WriteFile(authFile, []byte("# senders\nann:"+bcryptSecret+"\nsue:$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5\n"), 0o600)
	s := startMail(t, baseArgs(dir, "--tls-cert", cert, "--tls-key", key, "--auth", "file:"+authFile, "--auth", "memory:bob:bobpw", "--disable-anonymous")...)

	dial := func(t *testing.T) *smtp.Client {
		c, err := smtp.Dial(s.smtp[0])
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		if err := c.Hello("client.example"); err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := dial(t)
	if ok, _ := c.Extension("STARTTLS"); !ok {
		t.Fatal("no STARTTLS")
	}
	if ok, _ := c.Extension("AUTH"); ok {
		t.Error("AUTH offered before STARTTLS")
	}
	if err := c.Mail("a@example.com"); smtpCode(err) != 530 {
		t.Errorf("MAIL without AUTH under --disable-anonymous: %v, want 530", err)
	}
	id, _ := c.Text.Cmd("AUTH PLAIN %s", base64.StdEncoding.EncodeToString([]byte("\x00bob\x00bobpw")))
	c.Text.StartResponse(id)
	_, _, err := c.Text.ReadResponse(235)
	c.Text.EndResponse(id)
	if smtpCode(err) != 523 {
		t.Errorf("AUTH on a plain connection: %v, want 523 (TLS required)", err)
	}

	for _, tc := range []struct{ user, pw string }{
		{"ann", "secret"},       // bcrypt from the file
		{"sue", "Hello world!"}, // SHA-crypt from the file
		{"bob", "bobpw"},        // memory:
		{"joe@localhost", "pw"}, // a mailbox user
	} {
		t.Run(tc.user, func(t *testing.T) {
			c := dial(t)
			if err := c.StartTLS(tlsClient(pool)); err != nil {
				t.Fatal(err)
			}
			if ok, mechs := c.Extension("AUTH"); !ok || mechs != "PLAIN LOGIN" {
				t.Fatalf("AUTH after STARTTLS: %v %q", ok, mechs)
			}
			if err := c.Auth(smtp.PlainAuth("", tc.user, tc.pw+"x", "127.0.0.1")); smtpCode(err) != 535 {
				t.Errorf("wrong password: %v, want 535", err)
			}
			c = dial(t) // net/smtp hangs up after a failed AUTH
			if err := c.StartTLS(tlsClient(pool)); err != nil {
				t.Fatal(err)
			}
			if err := c.Auth(smtp.PlainAuth("", tc.user, tc.pw, "127.0.0.1")); err != nil {
				t.Fatalf("AUTH PLAIN: %v", err)
			}
			if err := c.Mail("a@example.com"); err != nil {
				t.Fatal(err)
			}
			if err := c.Rcpt("joe@localhost"); err != nil {
				t.Fatal(err)
			}
			// Authenticated, but there is no -R queue: still no relaying.
			if err := c.Rcpt("x@elsewhere.example"); smtpCode(err) != 550 || !strings.Contains(err.Error(), "not configured") {
				t.Errorf("relay without -R: %v", err)
			}
		})
	}

	t.Run("LOGIN", func(t *testing.T) {
		c := dial(t)
		if err := c.StartTLS(tlsClient(pool)); err != nil {
			t.Fatal(err)
		}
		b64 := base64.StdEncoding.EncodeToString
		for _, step := range []struct {
			send string
			code int
		}{{"AUTH LOGIN", 334}, {b64([]byte("ann")), 334}, {b64([]byte("secret")), 235}} {
			id, _ := c.Text.Cmd("%s", step.send)
			c.Text.StartResponse(id)
			_, _, err := c.Text.ReadResponse(step.code)
			c.Text.EndResponse(id)
			if err != nil {
				t.Fatalf("%s: %v", step.send, err)
			}
		}
	})
}

func TestImplicitTLSEndpointsAndSTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key, pool := writeCert(t, dir)
	ssl := "ssl:0:interface=127.0.0.1:privateKey=" + endpoint.Escape(key) + ":certKey=" + endpoint.Escape(cert)
	s := startMail(t, "-H", "localhost", "-d", "localhost="+filepath.Join(dir, "md"), "-u", "joe=pw",
		"-s", ssl, "-s", loop, "-p", ssl, "-p", loop)

	// SMTPS: TLS from the first byte.
	conn, err := tls.Dial("tcp", s.smtp[0], tlsClient(pool))
	if err != nil {
		t.Fatal(err)
	}
	c, err := smtp.NewClient(conn, "localhost")
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		t.Error("STARTTLS offered inside TLS")
	}
	if err := c.Mail("a@example.com"); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("joe@localhost"); err != nil {
		t.Fatal(err)
	}
	w, _ := c.Data()
	w.Write([]byte("Subject: tls\r\n\r\nover tls\r\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c.Quit()
	msgs := readNew(t, filepath.Join(dir, "md", "joe"))
	if len(msgs) != 1 || !strings.Contains(msgs[0], "with ESMTPS id") {
		t.Fatalf("message over SMTPS: %q", msgs)
	}

	// The plain SMTP endpoint offers STARTTLS with the ssl: certificate.
	c2, err := smtp.Dial(s.smtp[1])
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if err := c2.StartTLS(tlsClient(pool)); err != nil {
		t.Errorf("STARTTLS with the ssl: endpoint's certificate: %v", err)
	}

	// POP3 on the plain endpoint: no USER until STLS.
	p := dialPOP3(t, s.pop3[1])
	p.ok("CAPA")
	caps := strings.Join(p.multi(), ",")
	if !strings.Contains(caps, "STLS") || strings.Contains(caps, "USER") {
		t.Errorf("CAPA before STLS: %s", caps)
	}
	if l := p.cmd("USER joe@localhost"); !strings.HasPrefix(l, "-ERR") {
		t.Errorf("USER before STLS: %q", l)
	}
	p.ok("STLS")
	tc := tls.Client(p.c, tlsClient(pool))
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	p.c = tc
	p.r.Reset(tc)
	p.ok("CAPA")
	caps = strings.Join(p.multi(), ",")
	if strings.Contains(caps, "STLS") || !strings.Contains(caps, "USER") {
		t.Errorf("CAPA after STLS: %s", caps)
	}
	p.login("joe@localhost", "pw")
	if l := p.ok("STAT"); !strings.HasPrefix(l, "+OK 1 ") {
		t.Errorf("STAT over STLS: %q", l)
	}
	p.ok("QUIT")

	// POP3S.
	conn2, err := tls.Dial("tcp", s.pop3[0], tlsClient(pool))
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	p2 := &pop3Client{t: t, c: conn2}
	p2.r = bufioReader(conn2)
	if l := p2.line(); !strings.HasPrefix(l, "+OK") {
		t.Fatalf("POP3S banner %q", l)
	}
	p2.login("joe@localhost", "pw")
	p2.ok("QUIT")
}

func TestInsecureAuthFlag(t *testing.T) {
	s := startMail(t, baseArgs(t.TempDir(), "--allow-insecure-auth")...)
	c, err := smtp.Dial(s.smtp[0])
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Hello("client.example")
	if ok, _ := c.Extension("AUTH"); !ok {
		t.Error("no AUTH with --allow-insecure-auth")
	}
}
