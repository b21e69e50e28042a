package reactor

import (
	"reflect"

	"github.com/panjf2000/gnet/v2"
	"golang.org/x/sys/unix"
)

// gnet has no call to stop reading a connection: its event loop reads
// whatever arrives into its own buffer. To push back on a peer while a
// connection is paused, the gnet reactor takes the socket out of the
// event loop's epoll read set itself, with the epoll descriptor it finds
// in gnet's connection (conn.loop.poller.fd, in the gnet version go.mod
// pins). If that field is not there, pollerFD says so and pausing falls
// back to leaving data in gnet's buffer, bounded by MaxPausedRead.
//
// gnet registers a connection with its file descriptor as the epoll data
// and changes the set only from the loop (read on when its write buffer
// drains, read and write when a write would block), so setReading, also
// called on the loop only, just reapplies the wanted set after gnet's.
func pollerFD(gc gnet.Conn) (fd int) {
	defer func() {
		if recover() != nil {
			fd = -1
		}
	}()
	v := reflect.ValueOf(gc)
	for _, name := range []string{"loop", "poller", "fd"} {
		if v.Kind() == reflect.Pointer {
			v = v.Elem()
		}
		if v.Kind() != reflect.Struct {
			return -1
		}
		v = v.FieldByName(name)
		if !v.IsValid() {
			return -1
		}
	}
	if v.Kind() != reflect.Int {
		return -1
	}
	return int(v.Int())
}

// setReading puts fd in epfd's read set or takes it out, keeping the
// write interest gnet needs while its write buffer holds bytes.
func setReading(epfd, fd int, read, write bool) error {
	var ev uint32
	if read {
		ev |= unix.EPOLLIN | unix.EPOLLPRI
	}
	if write {
		ev |= unix.EPOLLOUT
	}
	return unix.EpollCtl(epfd, unix.EPOLL_CTL_MOD, fd, &unix.EpollEvent{Fd: int32(fd), Events: ev})
}
