// Command load drives the reactor benchmarks on loopback. Every mode runs
// for a bounded time (or, for idle, until its standard input closes) and
// prints one number.
//
//	load rtt   -addr A -conns N -size 64 -time 3s   round trips per second
//	load bulk  -addr A -time 3s                      echo throughput, MB/s
//	load idle  -addr A -conns 10000                  open N connections, print "open", hold them
//	load cache -addr A -conns 50 -time 3s -proto line|memcached   get+set operations per second
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		log.Fatal("usage: load rtt|bulk|idle|cache [flags]")
	}
	mode := os.Args[1]
	fs := flag.NewFlagSet(mode, flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:9000", "server address")
	conns := fs.Int("conns", 1, "connections")
	size := fs.Int("size", 64, "message size (rtt)")
	dur := fs.Duration("time", 3*time.Second, "how long to measure")
	proto := fs.String("proto", "line", "cache protocol: line or memcached")
	fs.Parse(os.Args[2:])
	switch mode {
	case "rtt":
		fmt.Printf("%.0f\n", rtt(*addr, *conns, *size, *dur))
	case "bulk":
		fmt.Printf("%.1f\n", bulk(*addr, *dur))
	case "idle":
		idle(*addr, *conns)
	case "cache":
		fmt.Printf("%.0f\n", cache(*addr, *conns, *proto, *dur))
	default:
		log.Fatalf("unknown mode %q", mode)
	}
}

// dialAll opens n connections.
func dialAll(addr string, n int) []net.Conn {
	cs := make([]net.Conn, n)
	for i := range cs {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			log.Fatalf("dial %d: %v", i, err)
		}
		cs[i] = c
	}
	return cs
}

// run starts one worker per connection after a short warm-up, counts what
// each does until the time is up, and returns the count per second.
func run(cs []net.Conn, d time.Duration, work func(c net.Conn, stop *atomic.Bool, count *atomic.Int64)) float64 {
	var stop atomic.Bool
	var count atomic.Int64
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(1)
		go func() { defer wg.Done(); work(c, &stop, &count) }()
	}
	time.Sleep(d / 5) // warm-up, not counted
	start, n0 := time.Now(), count.Load()
	time.Sleep(d)
	n1, el := count.Load(), time.Since(start)
	stop.Store(true)
	for _, c := range cs {
		c.SetDeadline(time.Now()) // unblock the workers
	}
	wg.Wait()
	for _, c := range cs {
		c.Close()
	}
	return float64(n1-n0) / el.Seconds()
}

func rtt(addr string, n, size int, d time.Duration) float64 {
	msg := bytes.Repeat([]byte("x"), size)
	return run(dialAll(addr, n), d, func(c net.Conn, stop *atomic.Bool, count *atomic.Int64) {
		buf := make([]byte, size)
		for !stop.Load() {
			if _, err := c.Write(msg); err != nil {
				return
			}
			if _, err := io.ReadFull(c, buf); err != nil {
				return
			}
			count.Add(1)
		}
	})
}

func bulk(addr string, d time.Duration) float64 {
	c := dialAll(addr, 1)[0]
	go func() {
		chunk := bytes.Repeat([]byte("b"), 64<<10)
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	}()
	return run([]net.Conn{c}, d, func(c net.Conn, stop *atomic.Bool, count *atomic.Int64) {
		buf := make([]byte, 64<<10)
		for !stop.Load() {
			n, err := c.Read(buf)
			count.Add(int64(n))
			if err != nil {
				return
			}
		}
	}) / 1e6
}

func idle(addr string, n int) {
	// Open in batches and pass one byte each way through every
	// connection of a batch before the next: this proves each is served
	// (not only queued in the listen backlog) and keeps the backlog from
	// overflowing.
	var cs []net.Conn
	buf := make([]byte, 1)
	for len(cs) < n {
		batch := dialAll(addr, min(200, n-len(cs)))
		for i, c := range batch {
			if _, err := c.Write([]byte("x")); err != nil {
				log.Fatalf("conn %d: %v", len(cs)+i, err)
			}
		}
		for i, c := range batch {
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.ReadFull(c, buf); err != nil {
				log.Fatalf("conn %d: %v", len(cs)+i, err)
			}
			c.SetReadDeadline(time.Time{})
		}
		cs = append(cs, batch...)
	}
	fmt.Println("open")
	io.Copy(io.Discard, os.Stdin)
	for _, c := range cs {
		c.Close()
	}
}

func cache(addr string, n int, proto string, d time.Duration) float64 {
	return run(dialAll(addr, n), d, func(c net.Conn, stop *atomic.Bool, count *atomic.Int64) {
		br := bufio.NewReader(c)
		key := "key-" + strconv.Itoa(int(time.Now().UnixNano()%100000))
		value := "value-of-thirty-two-bytes-xxxxxx"
		var set, get []byte
		var setReplies, getReplies int
		if proto == "memcached" {
			set = []byte(fmt.Sprintf("set %s 0 0 %d\r\n%s\r\n", key, len(value), value))
			get = []byte("get " + key + "\r\n")
			setReplies, getReplies = 1, 3 // STORED; VALUE, data, END
		} else {
			set = []byte("set " + key + " " + value + "\r\n")
			get = []byte("get " + key + "\r\n")
			setReplies, getReplies = 1, 1
		}
		for !stop.Load() {
			for _, op := range []struct {
				req     []byte
				replies int
			}{{set, setReplies}, {get, getReplies}} {
				if _, err := c.Write(op.req); err != nil {
					return
				}
				for range op.replies {
					if _, err := br.ReadSlice('\n'); err != nil {
						return
					}
				}
				count.Add(1)
			}
		}
	})
}
