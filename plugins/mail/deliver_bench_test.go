package mail

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// BenchmarkMaildirDeliver measures the disk side of a delivery alone, with
// no SMTP in front: 2 KiB messages stored by 1 and by 10 goroutines at
// once, in both --fsync modes. Its msgs/s is the ceiling the SMTP server
// cannot exceed on this disk at that concurrency (bench/mail/run.sh prints
// it beside the SMTP figures). BENCH_MAILDIR picks the directory (default:
// the test's temporary one).
func BenchmarkMaildirDeliver(b *testing.B) {
	msg := []byte("Subject: bench\n\n" + strings.Repeat(strings.Repeat("0123456789abcdef", 4)+"\n", 31))
	for _, mode := range []string{fsyncGroup, fsyncMessage} {
		for _, writers := range []int{1, 10} {
			b.Run(fmt.Sprintf("%s/writers=%d", mode, writers), func(b *testing.B) {
				dir := b.TempDir()
				if d := benchDir(); d != "" {
					dir = filepath.Join(d, fmt.Sprintf("bench-%d", time.Now().UnixNano()))
				}
				m := newMaildir(filepath.Join(dir, "joe"))
				m.perMessage = mode == fsyncMessage
				if err := m.create(); err != nil {
					b.Fatal(err)
				}
				defer m.close()
				b.SetBytes(int64(len(msg)))
				b.ResetTimer()
				var wg sync.WaitGroup
				var next sync.Mutex
				n := 0
				start := time.Now()
				for range writers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for {
							next.Lock()
							if n >= b.N {
								next.Unlock()
								return
							}
							n++
							next.Unlock()
							if _, err := m.deliver(msg, len(msg)+32); err != nil {
								b.Error(err)
								return
							}
						}
					}()
				}
				wg.Wait()
				b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
			})
		}
	}
}

func benchDir() string { return os.Getenv("BENCH_MAILDIR") }
