package mail

import (
	"os"
	"syscall"
)

// datasync flushes a new file's data and the metadata needed to read it
// back (its size), which is all a Maildir file needs before its rename.
func datasync(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
