// Package endpoint turns Twisted "strports" endpoint strings into listeners:
//
//	tcp:8080:interface=127.0.0.1      unix:/run/app.sock:mode=660
//	tcp6:8080:interface=\:\:1         ssl:8443:privateKey=key.pem:certKey=cert.pem
//	udp:53                            systemd:domain=INET:index=0
//	8080                              (a bare number is tcp:8080)
//
// Parse checks a string completely (and reads TLS files) without binding
// anything, so a plugin parses in Make and a bad string fails before the
// process daemonizes; Listen binds later, in PrivilegedStart.
//
// # Grammar
//
// A string is split into fields on ':'. A backslash makes the next
// character literal (\: \\ \=); a trailing lone backslash is an error. In a
// field the first unescaped '=' separates a keyword from its value; later
// ones belong to the value (unix:address=a=b is the path "a=b"). Fields
// without '=' are positional: the first names the kind (case-insensitive;
// all digits means tcp with that port), the others fill the kind's
// parameters in order. Keywords fill parameters by name (case-sensitive, as
// in Twisted). A parameter given by position and by keyword, an unknown or
// empty keyword, and too many positional fields are errors; a keyword given
// twice keeps its last value.
//
// # Kinds, parameters in positional order, defaults
//
//	tcp      port, interface (""=all IPv4), backlog (50)
//	tcp6     port, backlog (50), interface ("::")
//	udp      port, interface ("")
//	unix     address, mode (666, octal), backlog (50), lockfile (1)
//	ssl/tls  port, privateKey (server.pem), certKey (=privateKey), sslmethod,
//	         interface (""), backlog (50), extraCertChain, dhParameters
//	systemd  domain (INET, INET6 or UNIX), index (>= 0); both required
//
// Ports are checked to be 0-65535 when parsing. IPv6 interface literals need
// their colons escaped. Go cannot set a listen backlog (it always uses the
// kernel's net.core.somaxconn), so backlog is checked and kept in String but
// has no effect.
//
// Every Parse error is a *ParseError whose message is one line naming the
// whole string and the bad field.
package endpoint
