//go:build !linux

package web

import (
	"io/fs"
	"os"
	"path/filepath"
)

// idOf: the file cache is off where the stat identity is not known.
func idOf(fs.FileInfo) (fileID, bool) { return fileID{}, false }

// lstatAt describes name in the directory dirName without following a
// final symbolic link.
func lstatAt(_ int, dirName, name string) (fileMeta, error) {
	fi, err := os.Lstat(filepath.Join(dirName, name))
	if err != nil {
		return fileMeta{}, err
	}
	m := fileMeta{size: fi.Size(), mtime: fi.ModTime()}
	switch {
	case fi.Mode().IsRegular():
	case fi.IsDir():
		m.typ = fs.ModeDir
	case fi.Mode()&fs.ModeSymlink != 0:
		m.typ = fs.ModeSymlink
	default:
		m.typ = fs.ModeIrregular
	}
	return m, nil
}
