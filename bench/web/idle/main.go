// Command idle opens many keep-alive HTTP connections to one address,
// makes one request on each, then holds them all open and idle until its
// standard input closes: bench/web/run.sh measures the server's memory
// meanwhile.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "server address")
	n := flag.Int("n", 5000, "connections")
	path := flag.String("path", "/1k.bin", "path requested once on each connection")
	flag.Parse()
	conns := make([]net.Conn, 0, *n)
	for i := 0; i < *n; i++ {
		c, err := net.Dial("tcp", *addr)
		if err != nil {
			fmt.Fprintf(os.Stderr, "idle: connection %d: %v\n", i, err)
			os.Exit(1)
		}
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: bench\r\n\r\n", *path)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			fmt.Fprintf(os.Stderr, "idle: response %d: %v\n", i, err)
			os.Exit(1)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		conns = append(conns, c)
	}
	fmt.Println("ready")
	_, _ = io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		c.Close()
	}
}
