package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// docRoot opens files below one document root. Names come from splitPath:
// slash-separated, relative, no "." or ".." segments.
type docRoot interface {
	// Open opens a file or directory for reading, without blocking on a
	// FIFO (the caller refuses anything but files and directories).
	Open(rel string) (*os.File, error)
	// Stat follows symbolic links the way Open does.
	Stat(rel string) (fs.FileInfo, error)
	// Path is the root's own path, for CGI programs and logs.
	Path() string
	Close() error
}

// openFlags: O_NONBLOCK so that a FIFO in the tree cannot block a request
// (regular files ignore it), and so that os skips its fcntl round trips.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK

// confinedRoot is the default: an os.Root, which resolves every name one
// component at a time below the root's directory descriptor and refuses
// symbolic links (and ".." tricks) that would leave it, whoever swaps what
// in between. Links that stay inside are followed.
type confinedRoot struct {
	r    *os.Root
	path string
}

func openConfined(dir string) (docRoot, error) {
	r, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	return &confinedRoot{r: r, path: dir}, nil
}

func (c *confinedRoot) Open(rel string) (*os.File, error) {
	return c.r.OpenFile(rel, openFlags, 0)
}

func (c *confinedRoot) Stat(rel string) (fs.FileInfo, error) { return c.r.Stat(rel) }
func (c *confinedRoot) Path() string                         { return c.path }
func (c *confinedRoot) Close() error                         { return c.r.Close() }

// followRoot is --follow-symlinks: names are joined to the root's path and
// opened as they are, so links lead wherever they point (twistd's way).
// splitPath has already refused ".." segments.
type followRoot struct{ path string }

func openFollow(dir string) (docRoot, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, &fs.PathError{Op: "open", Path: dir, Err: syscall.ENOTDIR}
	}
	return &followRoot{path: dir}, nil
}

func (f *followRoot) Open(rel string) (*os.File, error) {
	return os.OpenFile(filepath.Join(f.path, filepath.FromSlash(rel)), openFlags, 0)
}

func (f *followRoot) Stat(rel string) (fs.FileInfo, error) {
	return os.Stat(filepath.Join(f.path, filepath.FromSlash(rel)))
}

func (f *followRoot) Path() string { return f.path }
func (f *followRoot) Close() error { return nil }

// openDocRoot opens dir as a document root.
func openDocRoot(dir string, follow bool) (docRoot, error) {
	if follow {
		return openFollow(dir)
	}
	return openConfined(dir)
}
