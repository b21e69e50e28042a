package mail

import (
	"errors"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/emersion/go-sasl"
)

// loginServer is the server side of the LOGIN mechanism, which go-sasl
// offers only as a client: "Username:", then "Password:", each answered in
// base64 (which go-smtp decodes). An initial response is the user name.
type loginServer struct {
	check func(user, pw string) error
	user  string
	step  int
}

func newLoginServer(check func(user, pw string) error) sasl.Server {
	return &loginServer{check: check}
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step++
		if resp == nil {
			return []byte("Username:"), false, nil
		}
		fallthrough
	case 1:
		l.user = string(resp)
		l.step = 2
		return []byte("Password:"), false, nil
	case 2:
		l.step++
		return nil, true, l.check(l.user, string(resp))
	}
	return nil, false, errors.New("LOGIN: unexpected response")
}

var idCounter atomic.Uint64

// messageID names a message in logs and its Received: header: unique in
// this process and sortable by time.
func messageID() string {
	return strconv.FormatInt(time.Now().UnixMilli(), 36) + "." + strconv.FormatUint(idCounter.Add(1), 36)
}
