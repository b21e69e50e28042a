package conch

import (
	"net"
	"sync"

	"golang.org/x/crypto/ssh"
)

// sshConn is one logged-in connection: its sessions, forwarded channels
// and remote-forward listeners.
type sshConn struct {
	srv   *server
	sc    *ssh.ServerConn
	login *login

	mu       sync.Mutex
	sessions int
	forwards map[string]net.Listener // tcpip-forward listeners by "addr:port"
	gone     bool                    // the connection has ended
	wg       sync.WaitGroup          // channel and request handlers
	done     chan struct{}           // closed when the connection ends
}

// serve handles the connection's channels and global requests until the
// client goes away, then hangs up its sessions, closes its forward
// listeners and waits for its handlers.
func (c *sshConn) serve(chans <-chan ssh.NewChannel, reqs <-chan *ssh.Request) {
	c.done = make(chan struct{})
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.globalRequests(reqs)
	}()
	for nc := range chans {
		switch nc.ChannelType() {
		case "session":
			if !c.openSession() {
				_ = nc.Reject(ssh.ResourceShortage, "too many sessions on this connection (--max-sessions)")
				continue
			}
			c.wg.Add(1)
			go func() {
				defer c.wg.Done()
				defer c.closeSession()
				c.runSession(nc)
			}()
		case "direct-tcpip":
			c.wg.Add(1)
			go func() {
				defer c.wg.Done()
				c.directTCPIP(nc)
			}()
		default:
			_ = nc.Reject(ssh.UnknownChannelType, "unknown channel type "+nc.ChannelType())
		}
	}
	c.mu.Lock()
	c.gone = true
	for k, l := range c.forwards {
		l.Close()
		delete(c.forwards, k)
	}
	c.mu.Unlock()
	close(c.done)
	c.sc.Close()
	c.wg.Wait()
}

func (c *sshConn) openSession() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.sessions >= c.srv.cfg.maxSessions {
		return false
	}
	c.sessions++
	return true
}

func (c *sshConn) closeSession() {
	c.mu.Lock()
	c.sessions--
	c.mu.Unlock()
}

// globalRequests answers connection-wide requests: remote forwarding when
// allowed, a refusal for everything else that wants an answer (OpenSSH's
// keepalives included, which only need some answer).
func (c *sshConn) globalRequests(reqs <-chan *ssh.Request) {
	for req := range reqs {
		switch req.Type {
		case "tcpip-forward":
			c.tcpipForward(req)
		case "cancel-tcpip-forward":
			c.cancelTCPIPForward(req)
		default:
			if req.WantReply {
				_ = req.Reply(false, nil)
			}
		}
	}
}
