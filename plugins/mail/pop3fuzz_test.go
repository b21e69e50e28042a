package mail

import (
	"bytes"
	"io"
	"net"
	"testing"
	"time"
)

// FuzzPOP3Session sends whole client conversations (any bytes, split into
// lines by the server) to a real POP3 server and checks that it answers
// with CRLF-terminated lines and stays up: commands, PASS and AUTH
// exchanges with base64 of any shape, logins, DELE and QUIT included.
func FuzzPOP3Session(f *testing.F) {
	for _, s := range []string{
		"USER joe@localhost\r\nPASS pw\r\nSTAT\r\nLIST\r\nUIDL 1\r\nTOP 1 0\r\nRETR 1\r\nRSET\r\nQUIT\r\n",
		"AUTH PLAIN AGpvZUBsb2NhbGhvc3QAcHc=\r\nLIST\r\nDELE 1\r\nQUIT\r\n",
		"AUTH PLAIN\r\nAGpvZQBwdw==\r\nSTAT\r\n",
		"AUTH LOGIN\r\nam9l\r\ncHc=\r\nNOOP\r\n",
		"AUTH LOGIN am9l\r\n*\r\nAUTH\r\nCAPA\r\n",
		"AUTH PLAIN =\r\nAUTH PLAIN !!\r\nAUTH X\r\n",
		"APOP joe 00000000000000000000000000000000\r\nSTLS\r\n",
		"TOP 1 -1\r\nLIST 99999999999\r\n\x00\r\n" + string(bytes.Repeat([]byte("A"), 600)) + "\r\n",
	} {
		f.Add([]byte(s))
	}
	srv, _ := mailWith(f, 2)
	f.Fuzz(func(t *testing.T, input []byte) {
		c, err := net.Dial("tcp", srv.pop3[0])
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		go func() {
			c.Write(input)
			c.(*net.TCPConn).CloseWrite()
		}()
		out, err := io.ReadAll(c)
		if err != nil {
			t.Fatalf("reading the answers: %v", err)
		}
		if !bytes.HasPrefix(out, []byte("+OK ")) {
			t.Fatalf("no greeting: %q", out)
		}
		if len(out) > 0 && !bytes.HasSuffix(out, []byte("\r\n")) {
			t.Fatalf("answer not ended by CRLF: %q", out[max(0, len(out)-80):])
		}
	})
}
