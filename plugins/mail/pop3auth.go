package mail

import (
	"encoding/base64"
	"errors"
	"strings"

	"github.com/emersion/go-sasl"
)

// saslMechanisms are what AUTH offers, on the conditions of USER/PASS.
var saslMechanisms = []string{sasl.Plain, sasl.Login}

// auth runs the AUTH command (RFC 5034) with PLAIN or LOGIN: an optional
// initial response ("=" for an empty one), then "+ challenge" lines
// answered in base64 until the mechanism is done; "*" cancels. A bare
// AUTH lists the mechanisms, as RFC 1734 clients expect. The login itself
// is PASS's: the name must be a mailbox, the password that of the
// mailbox or of --auth under the same name.
func (s *pop3Session) auth(c pop3Cmd) bool {
	if !s.plainAllowed() {
		s.reply("-ERR [AUTH] AUTH needs TLS here: use STLS first")
		return true
	}
	if len(c.args) == 0 {
		s.reply("+OK SASL mechanisms follow")
		for _, m := range saslMechanisms {
			s.reply(m)
		}
		s.reply(".")
		return true
	}
	if len(c.args) > 2 {
		s.reply("-ERR usage: AUTH mechanism [initial-response]")
		return true
	}
	var user string
	check := func(identity, name, pw string) error {
		user = name
		if identity != "" && identity != name {
			return errors.New("authorization identity must be empty or the user")
		}
		if s.m.domains.login(name) == nil || !s.m.authenticate(name, pw) {
			return errAuthFailed
		}
		return nil
	}
	var srv sasl.Server
	switch strings.ToUpper(c.args[0]) {
	case sasl.Plain:
		srv = sasl.NewPlainServer(check)
	case sasl.Login:
		srv = newLoginServer(func(name, pw string) error { return check("", name, pw) })
	default:
		s.reply("-ERR unsupported mechanism: use PLAIN or LOGIN")
		return true
	}
	var resp []byte
	if len(c.args) == 2 {
		var ok bool
		if resp, ok = decodeSASL(c.args[1]); !ok {
			s.reply("-ERR initial response is not base64")
			return true
		}
	}
	for {
		challenge, done, err := srv.Next(resp)
		if err != nil {
			return s.login(nil, false, user)
		}
		if done {
			return s.login(s.m.domains.login(user), true, user)
		}
		s.reply("+ " + base64.StdEncoding.EncodeToString(challenge))
		if s.w.Flush() != nil {
			return false
		}
		line, err := s.readLine()
		if err != nil {
			return false
		}
		if line == "*" {
			s.reply("-ERR authentication cancelled")
			return true
		}
		var ok bool
		if resp, ok = decodeSASL(line); !ok {
			s.reply("-ERR response is not base64")
			return true
		}
	}
}

var errAuthFailed = errors.New("authentication failed")

// decodeSASL decodes a base64 response; "=" is the empty one.
func decodeSASL(s string) ([]byte, bool) {
	if s == "=" {
		return []byte{}, true
	}
	b, err := base64.StdEncoding.DecodeString(s)
	return b, err == nil
}
