package mail

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"
)

// connLimits caps the connections one endpoint keeps open at once, in all
// and from one client address, so that one client (or a flood of them)
// cannot use up the server's descriptors and memory. A connection over a
// limit gets refusal (plain-text endpoints only: on implicit TLS there is
// no TLS session to say it in yet) and is closed at once.
type connLimits struct {
	total, perIP int    // 0 = no limit
	refusal      string // the line sent before closing, with CRLF
	log          *slog.Logger

	mu         sync.Mutex
	byIP       map[netip.Addr]int
	lastLog    time.Time
	suppressed int // refusals not logged since lastLog
}

func newConnLimits(total, perIP int, refusal string, log *slog.Logger) *connLimits {
	return &connLimits{total: total, perIP: perIP, refusal: refusal, log: log, byIP: map[netip.Addr]int{}}
}

// peerIP is the client's address, or not ok for a unix socket peer, which
// counts towards the total only.
func peerIP(c net.Conn) (netip.Addr, bool) {
	a, ok := c.RemoteAddr().(*net.TCPAddr)
	if !ok {
		return netip.Addr{}, false
	}
	ip, ok := netip.AddrFromSlice(a.IP)
	return ip.Unmap(), ok
}

// admit counts c in, or reports which limit it is over. open is the number
// of connections the endpoint has open besides c.
func (l *connLimits) admit(c net.Conn, open int) (ok bool, why string) {
	if l == nil {
		return true, ""
	}
	if l.total > 0 && open >= l.total {
		return false, fmt.Sprintf("%d connections open (--max-connections)", open)
	}
	ip, hasIP := peerIP(c)
	if !hasIP {
		return true, ""
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.perIP > 0 && l.byIP[ip] >= l.perIP {
		return false, fmt.Sprintf("%d connections open from %s (--max-connections-per-ip)", l.byIP[ip], ip)
	}
	l.byIP[ip]++
	return true, ""
}

// release counts c out; call it once for every admitted connection.
func (l *connLimits) release(c net.Conn) {
	if l == nil {
		return
	}
	ip, ok := peerIP(c)
	if !ok {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.byIP[ip]--; l.byIP[ip] <= 0 {
		delete(l.byIP, ip)
	}
}

// refuse tells the client why (when plain) and closes it; the log gets one
// line at most every ten seconds, with how many were refused meanwhile.
func (l *connLimits) refuse(c net.Conn, plain bool, why string) {
	if plain {
		c.SetWriteDeadline(time.Now().Add(time.Second))
		c.Write([]byte(l.refusal))
	}
	c.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now := time.Now(); now.Sub(l.lastLog) >= 10*time.Second {
		more := ""
		if l.suppressed > 0 {
			more = fmt.Sprintf(" (and %d more refused since the last such line)", l.suppressed)
		}
		l.log.Warn(fmt.Sprintf("refused a connection from %s: %s%s", c.RemoteAddr(), why, more))
		l.lastLog, l.suppressed = now, 0
	} else {
		l.suppressed++
	}
}
