// Command echod serves the echo protocol for the benchmarks, three ways:
// on a reactor.Service with the netpoll or the gnet reactor (the code a
// plugin runs), or as a minimal Go echo (a goroutine per connection doing
// io.Copy), the floor to compare with. It prints "ready ADDRESS" once it
// listens and stops on SIGTERM or SIGINT.
//
//	echod -impl netpoll|gnet|iocopy -addr 127.0.0.1:9000
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/gotwistd/gotwistd/endpoint"
	"github.com/gotwistd/gotwistd/reactor"
)

type echo struct{ t reactor.Transport }

func (e *echo) ConnectionMade(t reactor.Transport) { e.t = t }
func (e *echo) DataReceived(data []byte)           { e.t.Write(data) }
func (e *echo) ConnectionLost(err error) {
	if *verbose && !errors.Is(err, reactor.ErrConnectionDone) {
		log.Printf("connection from %s lost: %v", e.t.GetPeer(), err)
	}
}

var verbose = flag.Bool("v", false, "log connections that end with an error")

func main() {
	impl := flag.String("impl", "netpoll", "netpoll, gnet or iocopy")
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	prof := flag.String("cpuprofile", "", "write a CPU profile to `FILE` until stopped")
	flag.Parse()
	if *prof != "" {
		f, err := os.Create(*prof)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)

	if *impl == "iocopy" {
		l, err := net.Listen("tcp4", *addr)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println("ready", l.Addr())
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go func() { io.Copy(c, c); c.Close() }()
			}
		}()
		<-sig
		l.Close()
		pprof.StopCPUProfile()
		return
	}

	host, port, err := net.SplitHostPort(*addr)
	if err != nil {
		log.Fatal(err)
	}
	ep, err := endpoint.Parse("tcp:" + port + ":interface=" + host)
	if err != nil {
		log.Fatal(err)
	}
	f := reactor.FactoryFunc(func(net.Addr) reactor.Protocol { return &echo{} })
	s, err := reactor.NewService("echo", *impl, ep, f, nil)
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	if err := s.PrivilegedStart(ctx); err != nil {
		log.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		log.Fatal(err)
	}
	fmt.Println("ready", s.Addr())
	<-sig
	s.Stop(ctx)
}
