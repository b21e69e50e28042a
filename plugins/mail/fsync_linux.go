package mail

import (
	"os"

	"golang.org/x/sys/unix"
)

// datasync flushes a new file's data and the metadata needed to read it
// back (its size), which is all a Maildir file needs before its rename.
func datasync(f *os.File) error {
	return noEINTR(func() error { return unix.Fdatasync(int(f.Fd())) })
}

// syncFilesystem writes everything dirty on f's filesystem to disk and
// flushes the disk's cache: one call for a whole batch of new files, whose
// data blocks and inodes the kernel then writes together.
func syncFilesystem(f *os.File) error {
	return noEINTR(func() error { return unix.Syncfs(int(f.Fd())) })
}

// writebackError reports a write error on f's data that the kernel
// recorded (and that this descriptor has not seen yet), without writing
// anything.
func writebackError(f *os.File) error {
	return noEINTR(func() error {
		return unix.SyncFileRange(int(f.Fd()), 0, 0, unix.SYNC_FILE_RANGE_WAIT_BEFORE)
	})
}

// noEINTR calls a syscall again for as long as a signal interrupts it.
func noEINTR(call func() error) error {
	for {
		if err := call(); err != unix.EINTR {
			return err
		}
	}
}

// filesystemID identifies the filesystem that holds path.
func filesystemID(path string) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, err
	}
	return uint64(st.Dev), nil
}
