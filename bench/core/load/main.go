// Command load measures echo servers for bench/core/run.sh:
//
//	load startup -addr 127.0.0.1:PORT -n 20 -- CMD ARGS...
//	    starts CMD n times and reports the median time from exec to the
//	    first accepted connection, and the server's idle RSS
//	load echo -addr 127.0.0.1:PORT -conns 100 -size 64 -duration 5s
//	    round trips per second over conns connections
//
// Every run is bounded in time and talks only to the address given.
package main

import (
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: load startup|echo [flags]")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "startup":
		startup(os.Args[2:])
	case "echo":
		echo(os.Args[2:])
	default:
		fmt.Fprintf(os.Stderr, "load: unknown mode %q\n", os.Args[1])
		os.Exit(2)
	}
}

func startup(args []string) {
	fs := flag.NewFlagSet("startup", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8000", "address the server listens on")
	n := fs.Int("n", 20, "launches")
	fs.Parse(args)
	cmdline := fs.Args()
	var times []time.Duration
	var rss []int
	for i := 0; i < *n; i++ {
		cmd := exec.Command(cmdline[0], cmdline[1:]...)
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		start := time.Now()
		if err := cmd.Start(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		deadline := start.Add(30 * time.Second)
		for {
			c, err := net.Dial("tcp", *addr)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				fmt.Fprintln(os.Stderr, "server did not accept within 30s")
				syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				os.Exit(1)
			}
			time.Sleep(200 * time.Microsecond)
		}
		times = append(times, time.Since(start))
		time.Sleep(200 * time.Millisecond) // let it settle before reading RSS
		rss = append(rss, rssKB(cmd.Process.Pid))
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	sort.Ints(rss)
	fmt.Printf("startup_median_ms=%.1f rss_mb=%.1f\n", float64(times[len(times)/2].Microseconds())/1000, float64(rss[len(rss)/2])/1024)
}

func rssKB(pid int) int {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			var kb int
			fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(l, "VmRSS:")), "%d", &kb)
			return kb
		}
	}
	return 0
}

func echo(args []string) {
	fs := flag.NewFlagSet("echo", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:8000", "echo server")
	conns := fs.Int("conns", 1, "concurrent connections")
	size := fs.Int("size", 64, "message bytes")
	dur := fs.Duration("duration", 5*time.Second, "how long to measure")
	fs.Parse(args)
	var total atomic.Int64
	var wg sync.WaitGroup
	stop := time.Now().Add(*dur)
	for i := 0; i < *conns; i++ {
		c, err := net.Dial("tcp", *addr)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		wg.Add(1)
		go func(c net.Conn) {
			defer wg.Done()
			defer c.Close()
			msg := make([]byte, *size)
			buf := make([]byte, *size)
			n := int64(0)
			for time.Now().Before(stop) {
				if _, err := c.Write(msg); err != nil {
					break
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					break
				}
				n++
			}
			total.Add(n)
		}(c)
	}
	wg.Wait()
	fmt.Printf("round_trips_per_s=%.0f\n", float64(total.Load())/dur.Seconds())
}
