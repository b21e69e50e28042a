// Command load measures an SSH server from the client side, for
// bench/conch/run.sh: new connections with password login and `exec true`
// per second at a given concurrency, or sftp upload and download
// throughput of one large file. It prints one line: "<number> <unit>".
package main

import (
	"bytes"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:22", "server `HOST:PORT`")
	user := flag.String("user", "", "login name")
	password := flag.String("password", "", "password")
	keyFile := flag.String("key", "", "log in with the private key in `FILE` instead of the password")
	mode := flag.String("mode", "exec", "exec, sftp-up or sftp-down")
	clients := flag.Int("clients", 1, "concurrent clients (exec)")
	duration := flag.Duration("duration", 10*time.Second, "how long to run (exec)")
	size := flag.Int("size", 256<<20, "file size in bytes (sftp)")
	remote := flag.String("remote", "/tmp/conch-bench.bin", "remote file (sftp)")
	flag.Parse()

	auth := ssh.Password(*password)
	if *keyFile != "" {
		pem, err := os.ReadFile(*keyFile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		signer, err := ssh.ParsePrivateKey(pem)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		auth = ssh.PublicKeys(signer)
	}
	cfg := &ssh.ClientConfig{
		User:            *user,
		Auth:            []ssh.AuthMethod{auth},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), // a loopback benchmark
		Timeout:         30 * time.Second,
	}
	var err error
	switch *mode {
	case "exec":
		err = execRate(*addr, cfg, *clients, *duration)
	case "sftp-up", "sftp-down":
		err = sftpRate(*addr, cfg, *mode == "sftp-up", *size, *remote)
	default:
		err = fmt.Errorf("unknown -mode %q", *mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// execRate runs clients loops of dial, login, `exec true`, close for the
// duration and prints completed logins per second.
func execRate(addr string, cfg *ssh.ClientConfig, clients int, d time.Duration) error {
	var done, failed atomic.Int64
	var firstErr atomic.Value
	deadline := time.Now().Add(d)
	start := time.Now()
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				if err := once(addr, cfg); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	if failed.Load() > 0 {
		fmt.Fprintf(os.Stderr, "load: %d failures, first: %v\n", failed.Load(), firstErr.Load())
	}
	if done.Load() == 0 {
		return fmt.Errorf("no login succeeded")
	}
	fmt.Printf("%.1f logins/s\n", float64(done.Load())/elapsed)
	return nil
}

func once(addr string, cfg *ssh.ClientConfig) error {
	c, err := ssh.Dial("tcp", addr, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	s, err := c.NewSession()
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Run("true")
}

// sftpRate uploads (or downloads) size bytes and prints MB/s (10^6).
func sftpRate(addr string, cfg *ssh.ClientConfig, up bool, size int, remote string) error {
	c, err := ssh.Dial("tcp", addr, cfg)
	if err != nil {
		return err
	}
	defer c.Close()
	sc, err := sftp.NewClient(c, sftp.UseConcurrentWrites(true), sftp.MaxConcurrentRequestsPerFile(64))
	if err != nil {
		return err
	}
	defer sc.Close()
	data := make([]byte, size)
	rand.Read(data)
	start := time.Now()
	if up {
		f, err := sc.Create(remote)
		if err != nil {
			return err
		}
		if _, err := f.ReadFrom(bytes.NewReader(data)); err != nil {
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	} else {
		f, err := sc.Open(remote)
		if err != nil {
			return err
		}
		n, err := f.WriteTo(io.Discard)
		f.Close()
		if err != nil {
			return err
		}
		if n != int64(size) {
			return fmt.Errorf("downloaded %d bytes, want %d", n, size)
		}
	}
	fmt.Printf("%.1f MB/s\n", float64(size)/1e6/time.Since(start).Seconds())
	return nil
}
