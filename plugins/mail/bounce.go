package mail

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"
)

// bounce tells the sender (or, with -b, the postmaster) that the queued
// message id could not be delivered to the failed recipients, with a
// delivery status notification (RFC 3464) that quotes the original
// headers. A bounce is never bounced: a message with an empty sender that
// fails is only logged.
func (m *mailer) bounce(id string, env envelope, failed []rcptResult, msg []byte) {
	for _, r := range failed {
		m.log.Warn(fmt.Sprintf("relay queue: %s to <%s>: failed for good after %d attempts: %v", id, r.rcpt, env.Attempts, r.err))
	}
	to := env.From
	if m.c.bouncePM {
		to = "postmaster@" + m.c.hostname
	}
	if env.From == "" {
		m.log.Error(fmt.Sprintf("relay queue: %s is itself a bounce; not bounced again", id))
		return
	}
	dsn := m.dsn(id, env, to, failed, msg)
	if err := m.submit(to, dsn); err != nil {
		m.log.Error(fmt.Sprintf("relay queue: %s: bounce to <%s> failed: %v", id, to, err))
	}
}

// submit delivers a message the server writes itself (a bounce, with the
// empty sender) to one address, local or remote.
func (m *mailer) submit(to string, msg []byte) error {
	var targets []target
	if m.isLocal(to) {
		var err error
		if targets, err = m.resolve(to); err != nil {
			return err
		}
	} else {
		targets = []target{{kind: targetAddress, addr: to}}
	}
	_, crlf := toLF(nil, msg)
	return m.deliver(context.Background(), "", targets, msg, crlf)
}

// dsn builds the multipart/report bounce message (LF line ends).
func (m *mailer) dsn(id string, env envelope, to string, failed []rcptResult, msg []byte) []byte {
	host := m.c.hostname
	boundary := "=_" + messageID()
	now := time.Now()
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: Mail Delivery System <MAILER-DAEMON@%s>\n", host)
	fmt.Fprintf(&b, "To: <%s>\n", to)
	fmt.Fprintf(&b, "Subject: Undelivered Mail Returned to Sender\n")
	fmt.Fprintf(&b, "Date: %s\n", now.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "Message-ID: <%s@%s>\n", boundary[2:], host)
	fmt.Fprintf(&b, "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n")
	fmt.Fprintf(&b, "Content-Type: multipart/report; report-type=delivery-status; boundary=%q\n\n", boundary)
	fmt.Fprintf(&b, "--%s\nContent-Type: text/plain; charset=utf-8\n\n", boundary)
	fmt.Fprintf(&b, "This is the mail system at %s.\n\nYour message (queue id %s, sent by <%s>) could not be delivered to:\n\n", host, id, env.From)
	for _, r := range failed {
		why := "permanent failure"
		if r.expired {
			why = fmt.Sprintf("still undeliverable after %s", m.c.queueLifetime)
		}
		fmt.Fprintf(&b, "  <%s>: %s: %v\n", r.rcpt, why, r.err)
	}
	fmt.Fprintf(&b, "\n--%s\nContent-Type: message/delivery-status\n\n", boundary)
	fmt.Fprintf(&b, "Reporting-MTA: dns; %s\nArrival-Date: %s\n", host, env.Created.Format(time.RFC1123Z))
	for _, r := range failed {
		status := "5.0.0"
		if r.expired {
			status = "4.4.7"
		}
		fmt.Fprintf(&b, "\nFinal-Recipient: rfc822; %s\nAction: failed\nStatus: %s\n", r.rcpt, status)
		fmt.Fprintf(&b, "Diagnostic-Code: smtp; %s\n", strings.ReplaceAll(fmt.Sprint(r.err), "\n", " "))
	}
	fmt.Fprintf(&b, "\n--%s\nContent-Type: text/rfc822-headers\n\n", boundary)
	hdr, _, _ := bytes.Cut(msg, []byte("\n\n"))
	b.Write(hdr)
	fmt.Fprintf(&b, "\n\n--%s--\n", boundary)
	return b.Bytes()
}
