//go:build !linux

package mail

import "os"

// datasync flushes the file; fdatasync is Linux-only.
func datasync(f *os.File) error { return f.Sync() }
