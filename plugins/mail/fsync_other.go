//go:build !linux

package mail

import (
	"os"
	"syscall"
)

// datasync flushes the file; fdatasync is Linux-only.
func datasync(f *os.File) error { return f.Sync() }

// syncFilesystem has no syncfs to call here: it syncs the batch's first
// file, and writebackError syncs each of the others.
func syncFilesystem(f *os.File) error { return f.Sync() }

func writebackError(f *os.File) error { return f.Sync() }

// filesystemID identifies the filesystem that holds path.
func filesystemID(path string) (uint64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), nil
	}
	return 0, nil
}
