package reactor

import (
	"errors"
	"net"

	"github.com/panjf2000/gnet/v2"
)

// dialGnet enrolls an established connection in the reactor's gnet
// client, started on first use and stopped by Close. Enroll returns once
// OnOpen (and so ConnectionMade) has run on an event loop.
func (r *gnetReactor) dialGnet(cn *Connector, nc net.Conn) error {
	cli, err := r.client(cn)
	if err != nil {
		nc.Close()
		return err
	}
	_, err = cli.EnrollContext(nc, cn)
	return err
}

// client returns the reactor's gnet client, starting it if needed.
func (r *gnetReactor) client(cn *Connector) (*gnet.Client, error) {
	r.clients.mu.Lock()
	defer r.clients.mu.Unlock()
	if r.clients.closed {
		return nil, errors.New("reactor: closed")
	}
	if r.gcli != nil {
		return r.gcli, nil
	}
	cli, err := gnet.NewClient(&gnetClientHandler{}, gnetOptions(cn.opts, cn.log)...)
	if err != nil {
		return nil, err
	}
	if err := cli.Start(); err != nil {
		return nil, err
	}
	r.gcli = cli
	r.clients.stop = func() { _ = cli.Stop() }
	return cli, nil
}

// gnetClientHandler runs client connections; each arrives with its
// Connector as the gnet context.
type gnetClientHandler struct {
	gnet.BuiltinEventEngine
}

func (h *gnetClientHandler) OnOpen(gc gnet.Conn) ([]byte, gnet.Action) {
	cn, _ := gc.Context().(*Connector)
	if cn == nil {
		return nil, gnet.Close
	}
	c := newGConn(gc, cn, cn.opts, cn.log)
	cn.attach(&c.conn)
	gc.SetContext(c)
	c.proto = buildProtocol(cn.f, c.peer, cn.log)
	if c.proto == nil {
		return nil, gnet.Close
	}
	c.begin(true)
	return nil, gnet.None
}

func (h *gnetClientHandler) OnTraffic(gc gnet.Conn) gnet.Action { return onTraffic(gc) }

func (h *gnetClientHandler) OnClose(gc gnet.Conn, err error) gnet.Action {
	onClose(gc, err)
	return gnet.None
}
