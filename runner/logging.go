package runner

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"os"
	"path/filepath"
	"runtime/debug"

	"gopkg.in/natefinch/lumberjack.v2"
)

// logOutput owns where the process logs: a rotating file, stdout, or
// syslog. Its handler exists before the destination is opened, so Make may
// log; those lines are written first once open runs.
type logOutput struct {
	sink  sink
	level slog.LevelVar
	file  *lumberjack.Logger // nil unless logging to a file
	path  string
	// crashes is set once fatal Go errors should go to the log file.
	crashes bool
}

func newLogOutput(debug bool) *logOutput {
	l := &logOutput{}
	if debug {
		l.level.Set(slog.LevelDebug)
	}
	return l
}

// logger returns a logger whose lines carry system as their [system].
func (l *logOutput) logger(system string) *slog.Logger {
	return slog.New(newLineHandler(&l.sink, &l.level)).With(SystemKey, system)
}

// checkLogfile opens (creating) the log file once, so that a bad path is
// reported on the terminal before daemonizing.
func checkLogfile(o *Options) error {
	if o.Logfile == "" || o.Logfile == "-" {
		return nil
	}
	f, err := os.OpenFile(o.Logfile, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return failf("cannot open log file %s: %v (create its directory, or choose another --logfile)", o.Logfile, unwrapPathError(err))
	}
	return f.Close()
}

// open starts writing to the destination the options name.
func (l *logOutput) open(o *Options, stdout io.Writer) error {
	switch {
	case o.Syslog:
		w, err := syslog.New(syslog.LOG_USER|syslog.LOG_INFO, o.Prefix)
		if err != nil {
			return fmt.Errorf("cannot reach syslog: %v (is a syslog daemon listening on /dev/log?)", err)
		}
		l.sink.setWriter(syslogLines{w})
	case o.Logfile == "-":
		l.sink.setWriter(plainLines{stdout})
	default:
		if err := checkLogfile(o); err != nil {
			return err
		}
		backups := o.LogMaxBackups
		l.file = &lumberjack.Logger{
			Filename:   o.Logfile,
			MaxSize:    o.LogMaxSizeMB,
			MaxBackups: backups,
			Compress:   o.LogCompress,
			LocalTime:  true,
		}
		l.path = o.Logfile
		l.sink.setWriter(plainLines{l.file})
	}
	return nil
}

// rotate starts a new log file (SIGUSR1). It says false when the log is
// not a file, and there is nothing to rotate.
func (l *logOutput) rotate() (bool, error) {
	if l.file == nil {
		return false, nil
	}
	err := l.file.Rotate()
	l.followCrashes()
	return true, err
}

// reopen closes the log file; the next line opens it again by name, which
// is what an external logrotate needs after moving it away (SIGHUP).
func (l *logOutput) reopen() {
	if l.file != nil {
		_ = l.file.Close()
		l.followCrashes()
	}
}

// sendCrashesHere makes the Go runtime write a fatal error's trace to the
// log file too, once stderr is /dev/null (twistd writes TWISTD-CRASH.log).
func (l *logOutput) sendCrashesHere() {
	l.crashes = true
	l.followCrashes()
}

// followCrashes points the crash output at the current log file, after a
// rotation or reopen moved it.
func (l *logOutput) followCrashes() {
	if !l.crashes || l.file == nil {
		return
	}
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return
	}
	_ = debug.SetCrashOutput(f, debug.CrashOptions{})
	f.Close()
}

// handOver makes the log file belong to the user the process is about to
// become, so that rotation keeps working after the privilege drop, and says
// what will still not work.
func (l *logOutput) handOver(cr *Credentials) []string {
	if l.file == nil || cr == nil || os.Geteuid() != 0 {
		return nil
	}
	var warnings []string
	if err := os.Lchown(l.path, cr.UID, cr.GID); err != nil {
		warnings = append(warnings, fmt.Sprintf("cannot give the log file to uid %d: %v", cr.UID, err))
	}
	dir := filepath.Dir(l.path)
	if !writableBy(dir, cr) {
		warnings = append(warnings, fmt.Sprintf("log rotation will fail after the switch to uid %d: it cannot create files in %s (make that directory writable by it, or log elsewhere)", cr.UID, dir))
	}
	return warnings
}

func (l *logOutput) close() {
	if l.file != nil {
		_ = l.file.Close()
	}
}

// plainLines writes lines as they are (file, stdout).
type plainLines struct{ w io.Writer }

func (p plainLines) writeLine(_ slog.Level, line []byte) error {
	_, err := p.w.Write(line)
	return err
}

// syslogLines sends each line as its own message with the event's
// severity, without the timestamp syslog adds itself; continuation lines
// keep their leading TAB, as twistd sends them.
type syslogLines struct{ w *syslog.Writer }

func (s syslogLines) writeLine(level slog.Level, line []byte) error {
	if i := bytes.IndexByte(line, ' '); i >= 0 {
		line = line[i+1:] // drop the timestamp
	}
	var err error
	for _, part := range bytes.Split(bytes.TrimRight(line, "\n"), []byte("\n")) {
		msg := string(part)
		switch {
		case level >= slog.LevelError:
			err = s.w.Err(msg)
		case level >= slog.LevelWarn:
			err = s.w.Warning(msg)
		case level >= slog.LevelInfo:
			err = s.w.Info(msg)
		default:
			err = s.w.Debug(msg)
		}
	}
	return err
}
