package conch

import (
	"bufio"
	"encoding/binary"
	"github.com/creack/pty"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Terminal mode opcodes of RFC 4254 section 8 that Linux has.
var (
	modeChars = map[byte]int{
		1: unix.VINTR, 2: unix.VQUIT, 3: unix.VERASE, 4: unix.VKILL, 5: unix.VEOF,
		6: unix.VEOL, 7: unix.VEOL2, 8: unix.VSTART, 9: unix.VSTOP, 10: unix.VSUSP,
		12: unix.VREPRINT, 13: unix.VWERASE, 14: unix.VLNEXT, 18: unix.VDISCARD,
	}
	modeIflag = map[byte]uint32{
		30: unix.IGNPAR, 31: unix.PARMRK, 32: unix.INPCK, 33: unix.ISTRIP, 34: unix.INLCR,
		35: unix.IGNCR, 36: unix.ICRNL, 37: unix.IUCLC, 38: unix.IXON, 39: unix.IXANY,
		40: unix.IXOFF, 41: unix.IMAXBEL, 42: unix.IUTF8,
	}
	modeLflag = map[byte]uint32{
		50: unix.ISIG, 51: unix.ICANON, 52: unix.XCASE, 53: unix.ECHO, 54: unix.ECHOE,
		55: unix.ECHOK, 56: unix.ECHONL, 57: unix.NOFLSH, 58: unix.TOSTOP, 59: unix.IEXTEN,
		60: unix.ECHOCTL, 61: unix.ECHOKE, 62: unix.PENDIN,
	}
	modeOflag = map[byte]uint32{
		70: unix.OPOST, 71: unix.OLCUC, 72: unix.ONLCR, 73: unix.OCRNL, 74: unix.ONOCR, 75: unix.ONLRET,
	}
	modeCflag = map[byte]uint32{90: unix.CS7, 91: unix.CS8, 92: unix.PARENB, 93: unix.PARODD}
)

// applyModes sets the terminal modes a pty-req carries on tty, as sshd
// does; unknown opcodes are skipped and a malformed list ends the parse.
func applyModes(tty *os.File, modes []byte) {
	var t *unix.Termios
	err := control(tty, func(fd int) (err error) {
		t, err = unix.IoctlGetTermios(fd, unix.TCGETS)
		return err
	})
	if err != nil {
		return
	}
	for len(modes) > 0 {
		op := modes[0]
		if op == 0 || op >= 160 || len(modes) < 5 {
			break
		}
		v := binary.BigEndian.Uint32(modes[1:5])
		modes = modes[5:]
		set := func(flags *uint32, bit uint32) {
			if v != 0 {
				*flags |= bit
			} else {
				*flags &^= bit
			}
		}
		if c, ok := modeChars[op]; ok {
			t.Cc[c] = byte(v)
		} else if b, ok := modeIflag[op]; ok {
			set(&t.Iflag, b)
		} else if b, ok := modeLflag[op]; ok {
			set(&t.Lflag, b)
		} else if b, ok := modeOflag[op]; ok {
			set(&t.Oflag, b)
		} else if b, ok := modeCflag[op]; ok {
			set(&t.Cflag, b)
		}
	}
	_ = control(tty, func(fd int) error { return unix.IoctlSetTermios(fd, unix.TCSETS, t) })
}

// control runs fn on f's descriptor without f.Fd(), which would switch
// the file to blocking mode and so lose read deadlines.
func control(f *os.File, fn func(fd int) error) error {
	sc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := sc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

// setWinsize sets the terminal size on the pty master.
func setWinsize(ptmx *os.File, cols, rows, w, h uint32) error {
	clamp := func(v uint32) uint16 {
		if v > 0xffff {
			return 0xffff
		}
		return uint16(v)
	}
	ws := &unix.Winsize{Col: clamp(cols), Row: clamp(rows), Xpixel: clamp(w), Ypixel: clamp(h)}
	return control(ptmx, func(fd int) error { return unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, ws) })
}

// openPTY opens a pty pair with creack/pty and returns a master that the
// runtime poller drives (non-blocking, so read deadlines work): pty.Open
// leaves its master in blocking mode.
func openPTY() (ptmx, tty *os.File, err error) {
	m, tty, err := pty.Open()
	if err != nil {
		return nil, nil, err
	}
	defer m.Close()
	fd, err := unix.Dup(int(m.Fd()))
	if err != nil {
		tty.Close()
		return nil, nil, err
	}
	unix.CloseOnExec(fd)
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		tty.Close()
		return nil, nil, err
	}
	return os.NewFile(uintptr(fd), "/dev/ptmx"), tty, nil
}

// ttyGroup is the gid of group "tty", which owns terminals on Debian, or
// fallback when there is none.
func ttyGroup(fallback uint32) uint32 {
	f, err := os.Open("/etc/group")
	if err != nil {
		return fallback
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) >= 3 && fields[0] == "tty" {
			if gid, err := strconv.ParseUint(fields[2], 10, 32); err == nil {
				return uint32(gid)
			}
		}
	}
	return fallback
}
