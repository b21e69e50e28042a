package mail

import (
	"errors"
	"strconv"
	"strings"
)

// pop3MaxLine is the longest command line accepted, CRLF excluded (RFC
// 2449 allows 255 octets with it; a little slack costs nothing).
const pop3MaxLine = 512

// pop3MaxArg bounds one argument (RFC 1939 says 40; PASS is exempt).
const pop3MaxArg = 255

// pop3Cmd is one parsed POP3 command line.
type pop3Cmd struct {
	name string   // upper case
	args []string // PASS has one: the rest of the line, spaces included
}

var (
	errPOP3Empty   = errors.New("empty command")
	errPOP3Keyword = errors.New("malformed command keyword")
	errPOP3Arg     = errors.New("argument too long")
	errPOP3Control = errors.New("control characters in command")
)

// parsePOP3 splits a command line (without its CRLF): a keyword of 3 or 4
// letters, then arguments separated by spaces (RFC 1939 section 3). PASS
// takes the rest of the line as one argument, so passwords may contain
// spaces, as RFC 1939 permits.
func parsePOP3(line string) (pop3Cmd, error) {
	if len(line) > pop3MaxLine {
		return pop3Cmd{}, errPOP3Arg
	}
	for i := 0; i < len(line); i++ {
		if c := line[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return pop3Cmd{}, errPOP3Control
		}
	}
	kw, rest, _ := strings.Cut(line, " ")
	if kw == "" {
		if strings.TrimSpace(line) == "" {
			return pop3Cmd{}, errPOP3Empty
		}
		return pop3Cmd{}, errPOP3Keyword
	}
	if len(kw) < 3 || len(kw) > 4 {
		return pop3Cmd{}, errPOP3Keyword
	}
	for i := 0; i < len(kw); i++ {
		c := kw[i] | 0x20
		if c < 'a' || c > 'z' {
			return pop3Cmd{}, errPOP3Keyword
		}
	}
	cmd := pop3Cmd{name: strings.ToUpper(kw)}
	if cmd.name == "PASS" {
		if rest != "" {
			cmd.args = []string{rest}
		}
		return cmd, nil
	}
	for _, a := range strings.Fields(rest) {
		if len(a) > pop3MaxArg {
			return pop3Cmd{}, errPOP3Arg
		}
		cmd.args = append(cmd.args, a)
	}
	return cmd, nil
}

// parseMsgNum reads a message number: decimal digits only, 1 or more.
func parseMsgNum(s string) (int, bool) {
	if s == "" || len(s) > 9 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 1
}
