package runner

import (
	"net"
	"os"
	"strings"
)

// notifier tells systemd about readiness (Type=notify units). It connects
// to $NOTIFY_SOCKET once, before chroot, so the socket stays reachable;
// go-systemd's SdNotify dials on every call and cannot do that.
type notifier struct {
	conn *net.UnixConn
}

// openNotifier returns a notifier, or nil when systemd asked for none.
func openNotifier() *notifier {
	name := os.Getenv("NOTIFY_SOCKET")
	if name == "" {
		return nil
	}
	os.Unsetenv("NOTIFY_SOCKET") // not for the programs services run
	if strings.HasPrefix(name, "@") {
		name = "\x00" + name[1:] // abstract socket
	}
	c, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: name, Net: "unixgram"})
	if err != nil {
		return nil
	}
	return &notifier{conn: c}
}

// send writes one state line ("READY=1", "STOPPING=1"); failures are
// ignored, as systemd's own clients do.
func (n *notifier) send(state string) {
	if n != nil {
		_, _ = n.conn.Write([]byte(state))
	}
}
