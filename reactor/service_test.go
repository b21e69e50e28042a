package reactor

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gotwistd/gotwistd/endpoint"
)

func TestNewServiceRefuses(t *testing.T) {
	dir := t.TempDir()
	tcp, _ := endpoint.Parse("tcp:0:interface=127.0.0.1")
	unix, _ := endpoint.Parse("unix:" + filepath.Join(dir, "s.sock"))
	udp, _ := endpoint.Parse("udp:0")
	sd, _ := endpoint.Parse("systemd:domain=INET:index=0")
	cases := []struct {
		reactor string
		ep      endpoint.Endpoint
		want    string
	}{
		{"nosuch", tcp, `unknown reactor "nosuch"`},
		{"gnet", unix, "use --reactor netpoll for unix"},
		{"gnet", sd, "cannot take one from systemd"},
		{"netpoll", udp, "datagram-only"},
		{"gnet", udp, "datagram-only"},
	}
	for _, c := range cases {
		_, err := NewService("x", c.reactor, c.ep, echoFactory, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s on %s: %v, want %q", c.reactor, c.ep, err, c.want)
		}
	}
	if _, err := NewService("x", "netpoll", tcp, echoFactory, nil, WithMaxWriteBuffer(10), WithWriteHighWater(100)); err == nil {
		t.Error("a max write buffer below the high-water mark was accepted")
	}
}

func TestGnetRefusesTLS(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	if err := writeSelfSigned(dir); err != nil {
		t.Fatal(err)
	}
	ep, err := endpoint.Parse("ssl:0:privateKey=key.pem:certKey=cert.pem")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewService("x", "gnet", ep, echoFactory, nil); err == nil || !strings.Contains(err.Error(), "gnet has no TLS") {
		t.Errorf("gnet on ssl: %v", err)
	}
}

func TestUnixEndpointOnNetpoll(t *testing.T) {
	dir := t.TempDir()
	ep, err := endpoint.Parse("unix:" + filepath.Join(dir, "echo.sock"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewService("unix", "netpoll", ep, echoFactory, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := s.PrivilegedStart(ctx); err != nil {
		t.Fatal(err)
	}
	defer s.Stop(ctx)
	s.Start(ctx)
	c, err := net.Dial("unix", filepath.Join(dir, "echo.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.Write([]byte("over unix"))
	buf := make([]byte, 9)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "over unix" {
		t.Fatalf("%q %v", buf, err)
	}
}

func TestAddressInUse(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		ep, _ := endpoint.Parse("tcp:" + portOf(l.Addr()) + ":interface=127.0.0.1")
		s, err := NewService("x", name, ep, echoFactory, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.PrivilegedStart(context.Background()); err == nil || !strings.Contains(err.Error(), "address already in use") {
			t.Errorf("bind of a taken port: %v", err)
		}
		s.Stop(context.Background())
	})
}

func portOf(a net.Addr) string {
	_, p, _ := net.SplitHostPort(a.String())
	return p
}

func TestStopWithoutStart(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		ep, _ := endpoint.Parse("tcp:0:interface=127.0.0.1")
		s, err := NewService("x", name, ep, echoFactory, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Stop(context.Background()); err != nil {
			t.Errorf("Stop before PrivilegedStart: %v", err)
		}
		s, _ = NewService("x", name, ep, echoFactory, nil)
		if err := s.PrivilegedStart(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := s.Stop(context.Background()); err != nil {
			t.Errorf("Stop after PrivilegedStart only: %v", err)
		}
		if err := s.Stop(context.Background()); err != nil {
			t.Errorf("second Stop: %v", err)
		}
	})
}

// TestStopDrains: Stop lets each connection send what it has, closes it
// cleanly, and refuses new ones from BeginStop on.
func TestStopDrains(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		var built atomic.Int32
		var lost sync.WaitGroup
		reasons := make(chan error, 10)
		f := FactoryFunc(func(net.Addr) Protocol {
			built.Add(1)
			r := newRecorder(t)
			r.lost = reasons
			lost.Add(1)
			r.onMade = func(r *recorder) { r.tr.Write([]byte("welcome\n")) }
			return r
		})
		ep, _ := endpoint.Parse("tcp:0:interface=127.0.0.1")
		s, err := NewService("x", name, ep, f, nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if err := s.PrivilegedStart(ctx); err != nil {
			t.Fatal(err)
		}
		s.Start(ctx)
		var clients []net.Conn
		for range 3 {
			c, err := net.Dial("tcp", s.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			buf := make([]byte, 8)
			if _, err := io.ReadFull(c, buf); err != nil {
				t.Fatal(err)
			}
			clients = append(clients, c)
		}
		s.BeginStop()
		if late, err := net.Dial("tcp", s.Addr().String()); err == nil {
			// gnet keeps its socket until Stop and closes what arrives.
			if got, _ := io.ReadAll(late); len(got) != 0 {
				t.Errorf("a connection after BeginStop got %q", got)
			}
			late.Close()
		}
		if err := s.Stop(ctx); err != nil {
			t.Fatal(err)
		}
		for _, c := range clients {
			if got := readAll(t, c); len(got) != 0 {
				t.Errorf("after Stop: %q", got)
			}
		}
		for range 3 {
			if err := <-reasons; !errors.Is(err, ErrConnectionDone) {
				t.Errorf("reason %v", err)
			}
		}
		if n := built.Load(); n != 3 {
			t.Errorf("%d protocols built, want 3", n)
		}
	})
}

// TestStopDeadlineAborts: a connection that cannot send its buffer is
// aborted when Stop's context ends.
func TestStopDeadlineAborts(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		r := newRecorder(t)
		// More than the kernel's socket buffers can take in.
		r.onMade = func(r *recorder) { r.tr.Write(bytes.Repeat([]byte("x"), 32<<20)) }
		ep, _ := endpoint.Parse("tcp:0:interface=127.0.0.1")
		s, _ := NewService("x", name, ep, one(r), nil, WithMaxWriteBuffer(64<<20))
		ctx := context.Background()
		if err := s.PrivilegedStart(ctx); err != nil {
			t.Fatal(err)
		}
		s.Start(ctx)
		c := dial(t, s) // never reads
		<-r.made
		expired, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.Stop(expired); !errors.Is(err, context.Canceled) {
			t.Errorf("Stop: %v, want context.Canceled", err)
		}
		if err := <-r.lost; !errors.Is(err, ErrConnectionAborted) {
			t.Errorf("reason %v, want ErrConnectionAborted", err)
		}
		c.Close()
	})
}

// countingFactory counts its start and stop calls.
type countingFactory struct {
	starts, stops atomic.Int32
}

func (f *countingFactory) BuildProtocol(net.Addr) Protocol { return &echo{} }
func (f *countingFactory) StartFactory()                   { f.starts.Add(1) }
func (f *countingFactory) StopFactory()                    { f.stops.Add(1) }

func TestFactoryStartStopOnceForTwoPorts(t *testing.T) {
	eachReactor(t, func(t *testing.T, name string) {
		f := &countingFactory{}
		ctx := context.Background()
		var ss []*Service
		for i := range 2 {
			ep, _ := endpoint.Parse("tcp:0:interface=127.0.0.1")
			s, err := NewService("x", name, ep, f, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.PrivilegedStart(ctx); err != nil {
				t.Fatal(err)
			}
			if i == 0 && f.starts.Load() != 0 {
				t.Error("StartFactory before Start")
			}
			s.Start(ctx)
			ss = append(ss, s)
		}
		ss[0].Stop(ctx)
		if f.stops.Load() != 0 {
			t.Error("StopFactory while a port still serves")
		}
		ss[1].Stop(ctx)
		if a, b := f.starts.Load(), f.stops.Load(); a != 1 || b != 1 {
			t.Errorf("StartFactory %d times, StopFactory %d times; want once each", a, b)
		}
	})
}

// writeSelfSigned writes key.pem and cert.pem, a self-signed pair.
func writeSelfSigned(dir string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "cert.pem"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
}
