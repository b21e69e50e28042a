package conch

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path"
	"time"

	"github.com/pkg/sftp"
)

// rootFS serves sftp requests from an *os.Root (--sftp-root): every path,
// symbolic links included, is resolved inside the root, so a client can
// neither name nor follow its way out. Clients see the root as /.
type rootFS struct{ r *os.Root }

func rootHandlers(r *os.Root) sftp.Handlers {
	fsys := &rootFS{r: r}
	return sftp.Handlers{FileGet: fsys, FilePut: fsys, FileCmd: fsys, FileList: fsys}
}

// rel maps a client path ("/a/b", already cleaned by pkg/sftp) to a path
// relative to the root.
func rel(p string) string {
	p = path.Clean("/" + p)
	if p == "/" {
		return "."
	}
	return p[1:]
}

// Fileread opens a file for reading.
func (f *rootFS) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	return f.r.Open(rel(r.Filepath))
}

// Filewrite opens a file for writing.
func (f *rootFS) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	return f.open(r, os.O_WRONLY)
}

// OpenFile opens a file for reading and writing.
func (f *rootFS) OpenFile(r *sftp.Request) (sftp.WriterAtReaderAt, error) {
	return f.open(r, os.O_RDWR)
}

func (f *rootFS) open(r *sftp.Request, flags int) (*os.File, error) {
	pf := r.Pflags()
	if pf.Creat {
		flags |= os.O_CREATE
	}
	if pf.Trunc {
		flags |= os.O_TRUNC
	}
	if pf.Excl {
		flags |= os.O_EXCL
	}
	// Append is served with WriteAt at the offsets the client sends, as
	// O_APPEND would make WriteAt fail.
	mode := fs.FileMode(0o644)
	if r.AttrFlags().Permissions {
		mode = r.Attributes().FileMode().Perm()
	}
	return f.r.OpenFile(rel(r.Filepath), flags, mode)
}

// Filecmd runs setstat, rename, rmdir, mkdir, link, symlink and remove.
func (f *rootFS) Filecmd(r *sftp.Request) error {
	p := rel(r.Filepath)
	switch r.Method {
	case "Setstat":
		return f.setstat(p, r)
	case "Rename":
		// SFTP v3: renaming onto an existing name is an error (OpenSSH's
		// sftp uses posix-rename, below, to replace).
		if _, err := f.r.Lstat(rel(r.Target)); err == nil {
			return os.ErrExist
		}
		return f.r.Rename(p, rel(r.Target))
	case "Rmdir":
		st, err := f.r.Lstat(p)
		if err != nil {
			return err
		}
		if !st.IsDir() {
			return errors.New("not a directory")
		}
		return f.r.Remove(p)
	case "Mkdir":
		mode := fs.FileMode(0o755)
		if r.AttrFlags().Permissions {
			mode = r.Attributes().FileMode().Perm()
		}
		return f.r.Mkdir(p, mode)
	case "Link":
		return f.r.Link(p, rel(r.Target))
	case "Symlink":
		// Filepath is the link's target, kept as given; Target the new link.
		return f.r.Symlink(r.Filepath, rel(r.Target))
	case "Remove":
		return f.r.Remove(p)
	}
	return sftp.ErrSSHFxOpUnsupported
}

// PosixRename replaces the target, as rename(2) does.
func (f *rootFS) PosixRename(r *sftp.Request) error {
	return f.r.Rename(rel(r.Filepath), rel(r.Target))
}

func (f *rootFS) setstat(p string, r *sftp.Request) error {
	flags, attrs := r.AttrFlags(), r.Attributes()
	if flags.Size {
		fh, err := f.r.OpenFile(p, os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		err = fh.Truncate(int64(attrs.Size))
		fh.Close()
		if err != nil {
			return err
		}
	}
	if flags.Permissions {
		if err := f.r.Chmod(p, attrs.FileMode().Perm()); err != nil {
			return err
		}
	}
	if flags.UidGid {
		if err := f.r.Chown(p, int(attrs.UID), int(attrs.GID)); err != nil {
			return err
		}
	}
	if flags.Acmodtime {
		if err := f.r.Chtimes(p, time.Unix(int64(attrs.Atime), 0), time.Unix(int64(attrs.Mtime), 0)); err != nil {
			return err
		}
	}
	return nil
}

// listerat serves a fixed list of entries.
type listerat []fs.FileInfo

func (l listerat) ListAt(out []fs.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(out, l[off:])
	if n < len(out) {
		return n, io.EOF
	}
	return n, nil
}

// Filelist answers List (a directory's entries) and Stat.
func (f *rootFS) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	p := rel(r.Filepath)
	switch r.Method {
	case "List":
		d, err := f.r.Open(p)
		if err != nil {
			return nil, err
		}
		defer d.Close()
		ents, err := d.ReadDir(-1)
		if err != nil {
			return nil, err
		}
		out := make(listerat, 0, len(ents))
		for _, e := range ents {
			if info, err := e.Info(); err == nil {
				out = append(out, info)
			}
		}
		return out, nil
	case "Stat":
		st, err := f.r.Stat(p)
		if err != nil {
			return nil, err
		}
		return listerat{st}, nil
	}
	return nil, sftp.ErrSSHFxOpUnsupported
}

// Lstat answers lstat without following a final symbolic link.
func (f *rootFS) Lstat(r *sftp.Request) (sftp.ListerAt, error) {
	st, err := f.r.Lstat(rel(r.Filepath))
	if err != nil {
		return nil, err
	}
	return listerat{st}, nil
}

// Readlink returns a link's target as stored.
func (f *rootFS) Readlink(p string) (string, error) {
	return f.r.Readlink(rel(p))
}

var (
	_ sftp.OpenFileWriter       = (*rootFS)(nil)
	_ sftp.PosixRenameFileCmder = (*rootFS)(nil)
	_ sftp.LstatFileLister      = (*rootFS)(nil)
	_ sftp.ReadlinkFileLister   = (*rootFS)(nil)
)
