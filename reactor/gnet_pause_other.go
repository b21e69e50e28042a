//go:build !linux

package reactor

import "github.com/panjf2000/gnet/v2"

// pollerFD: on kqueue systems the gnet reactor does not take paused
// connections out of the poller; see gnet_pause_linux.go.
func pollerFD(gnet.Conn) int { return -1 }

func setReading(epfd, fd int, read, write bool) error { return nil }
