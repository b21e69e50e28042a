package conch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// dialTimeout bounds the connect of a local (-L) forward.
const dialTimeout = 15 * time.Second

// RFC 4254 section 7 payloads.
type (
	directTCPIPMsg struct {
		Host       string
		Port       uint32
		OriginHost string
		OriginPort uint32
	}
	tcpipForwardMsg struct {
		Addr string
		Port uint32
	}
	tcpipForwardReply struct{ Port uint32 }
	forwardedTCPIPMsg struct {
		Addr       string
		Port       uint32
		OriginHost string
		OriginPort uint32
	}
)

// forwardingAllowed is --allow-forwarding, narrowed by the key's options.
func (c *sshConn) forwardingAllowed() bool {
	return c.srv.cfg.allowForwarding && !c.login.opts.noForwarding
}

// directTCPIP serves a local forward (ssh -L): a TCP connection from the
// server to the target the client names.
func (c *sshConn) directTCPIP(nc ssh.NewChannel) {
	var m directTCPIPMsg
	if err := ssh.Unmarshal(nc.ExtraData(), &m); err != nil {
		_ = nc.Reject(ssh.ConnectionFailed, "malformed direct-tcpip request")
		return
	}
	target := net.JoinHostPort(m.Host, strconv.FormatUint(uint64(m.Port), 10))
	if !c.forwardingAllowed() || !permitOpenAllows(c.login.opts.permitOpen, m.Host, m.Port) {
		c.srv.log.Info(fmt.Sprintf("refused forward to %s for %s %s: forwarding is off", target, c.login.acct.Name, from(c.sc)))
		_ = nc.Reject(ssh.Prohibited, "port forwarding is disabled")
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
	go func() { // the connection's end cancels the dial

		select {
		case <-c.done:
			cancel()
		case <-ctx.Done():
		}
	}()
	var d net.Dialer
	out, err := d.DialContext(ctx, "tcp", target)
	cancel()
	if err != nil {
		_ = nc.Reject(ssh.ConnectionFailed, err.Error())
		return
	}
	ch, reqs, err := nc.Accept()
	if err != nil {
		out.Close()
		return
	}
	go ssh.DiscardRequests(reqs)
	splice(ch, out)
}

// splice copies both ways until both directions end, passing half-closes
// on.
func splice(ch ssh.Channel, conn net.Conn) {
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		_, _ = io.Copy(conn, ch)
		if tc, ok := conn.(interface{ CloseWrite() error }); ok {
			_ = tc.CloseWrite()
		} else {
			conn.Close()
		}
	}()
	go func() {
		defer wg.Done()
		_, _ = io.Copy(ch, conn)
		_ = ch.CloseWrite()
	}()
	wg.Wait()
	ch.Close()
	conn.Close()
}

// tcpipForward opens a remote forward (ssh -R): a listener on the server
// whose connections come back to the client as forwarded-tcpip channels.
// Without --gateway-ports it always binds loopback.
func (c *sshConn) tcpipForward(req *ssh.Request) {
	var m tcpipForwardMsg
	if err := ssh.Unmarshal(req.Payload, &m); err != nil || m.Port > 65535 {
		_ = req.Reply(false, nil)
		return
	}
	if !c.forwardingAllowed() {
		c.srv.log.Info(fmt.Sprintf("refused remote forward of port %d for %s %s: forwarding is off", m.Port, c.login.acct.Name, from(c.sc)))
		_ = req.Reply(false, nil)
		return
	}
	if m.Port != 0 && m.Port < 1024 && c.login.acct.UID != 0 {
		c.srv.log.Info(fmt.Sprintf("refused remote forward of privileged port %d for %s", m.Port, c.login.acct.Name))
		_ = req.Reply(false, nil)
		return
	}
	host := bindHost(m.Addr, c.srv.cfg.gatewayPorts)
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.FormatUint(uint64(m.Port), 10)))
	if err != nil {
		c.srv.log.Info(fmt.Sprintf("remote forward for %s: %v", c.login.acct.Name, err))
		_ = req.Reply(false, nil)
		return
	}
	port := uint32(l.Addr().(*net.TCPAddr).Port)
	key := forwardKey(m.Addr, port)
	c.mu.Lock()
	if c.gone {
		c.mu.Unlock()
		l.Close()
		_ = req.Reply(false, nil)
		return
	}
	if old, dup := c.forwards[key]; dup {
		old.Close()
	}
	c.forwards[key] = l
	c.mu.Unlock()
	c.srv.log.Info(fmt.Sprintf("remote forward for %s: listening on %s", c.login.acct.Name, l.Addr()))
	var reply []byte
	if m.Port == 0 {
		reply = ssh.Marshal(tcpipForwardReply{port})
	}
	_ = req.Reply(true, reply)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.acceptForwarded(l, m.Addr, port)
	}()
}

// bindHost is where a remote forward listens: loopback unless gateway
// ports are on, then the address asked for ("" and "*" meaning all).
func bindHost(asked string, gateway bool) string {
	if !gateway {
		return "127.0.0.1"
	}
	switch asked {
	case "", "*", "0.0.0.0":
		return ""
	case "localhost":
		return "127.0.0.1"
	}
	return asked
}

func forwardKey(addr string, port uint32) string {
	return net.JoinHostPort(addr, strconv.FormatUint(uint64(port), 10))
}

func (c *sshConn) acceptForwarded(l net.Listener, addr string, port uint32) {
	for {
		conn, err := l.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return
		}
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			oh, op, _ := net.SplitHostPort(conn.RemoteAddr().String())
			opn, _ := strconv.ParseUint(op, 10, 32)
			ch, reqs, err := c.sc.OpenChannel("forwarded-tcpip", ssh.Marshal(forwardedTCPIPMsg{addr, port, oh, uint32(opn)}))
			if err != nil {
				conn.Close()
				return
			}
			go ssh.DiscardRequests(reqs)
			splice(ch, conn)
		}()
	}
}

// cancelTCPIPForward closes a remote forward.
func (c *sshConn) cancelTCPIPForward(req *ssh.Request) {
	var m tcpipForwardMsg
	if err := ssh.Unmarshal(req.Payload, &m); err != nil {
		_ = req.Reply(false, nil)
		return
	}
	key := forwardKey(m.Addr, m.Port)
	c.mu.Lock()
	l, ok := c.forwards[key]
	delete(c.forwards, key)
	c.mu.Unlock()
	if ok {
		l.Close()
	}
	_ = req.Reply(ok, nil)
}
