package mail

import (
	"os"

	"golang.org/x/sys/unix"
)

// syncFilesystem writes everything dirty on f's filesystem to disk and
// flushes the disk's cache: one call for a whole batch of new files, whose
// data blocks and inodes the kernel then writes together.
func syncFilesystem(f *os.File) error {
	for {
		err := unix.Syncfs(int(f.Fd()))
		if err != unix.EINTR {
			return err
		}
	}
}

// writebackError reports a write error on f's data that the kernel
// recorded (and that this descriptor has not seen yet), without writing
// anything.
func writebackError(f *os.File) error {
	for {
		err := unix.SyncFileRange(int(f.Fd()), 0, 0, unix.SYNC_FILE_RANGE_WAIT_BEFORE)
		if err != unix.EINTR {
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
