package reports

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"strconv"
	"strings"
	"time"
)

// Mail is one message.
type Mail struct {
	From        string
	To, Cc      []string
	Subject     string
	Text        string // the plain-text alternative
	HTML        string
	Attachments []Attachment
	Date        time.Time
}

// Attachment is a file attached to a message.
type Attachment struct {
	Name        string
	ContentType string
	Data        []byte
}

// Mailer sends mail. Send returns when the server has accepted the message
// for every recipient, or with the first error; it stops when ctx ends.
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}

// SMTP is a Mailer for an SMTP server: STARTTLS (required when
// configured), implicit TLS or none, and PLAIN or LOGIN authentication,
// only ever over TLS.
type SMTP struct {
	cfg SMTPConfig
	tls *tls.Config
}

// NewSMTP checks the configuration and loads its CA file. tlsConfig, when
// not nil, is used instead of one built from the configuration (tests
// trust their own CA through it).
func NewSMTP(c SMTPConfig, tlsConfig *tls.Config) (*SMTP, error) {
	if err := c.validate("reports.smtp", true); err != nil {
		return nil, err
	}
	if c.TLS == "" {
		c.TLS = "starttls"
	}
	if c.Port == 0 {
		c.Port = map[string]int{"starttls": 587, "tls": 465, "none": 25}[c.TLS]
	}
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: c.Host, MinVersion: tls.VersionTLS12}
		if c.CAFile != "" {
			pem, err := os.ReadFile(c.CAFile)
			if err != nil {
				return nil, fmt.Errorf("reports.smtp.ca_file: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("reports.smtp.ca_file: %s holds no PEM certificate", c.CAFile)
			}
			tlsConfig.RootCAs = pool
		}
	}
	return &SMTP{cfg: c, tls: tlsConfig}, nil
}

// Send delivers m over one connection.
func (s *SMTP) Send(ctx context.Context, m Mail) error {
	if m.From == "" {
		m.From = s.cfg.From
	}
	msg, err := compose(m)
	if err != nil {
		return err
	}
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return fmt.Errorf("sender %q: %w", m.From, err)
	}
	addr := net.JoinHostPort(s.cfg.Host, strconv.Itoa(s.cfg.Port))
	d := net.Dialer{Timeout: 30 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", addr, err)
	}
	defer conn.Close()
	deadline := time.Now().Add(2 * time.Minute)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	_ = conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if s.cfg.TLS == "tls" {
		tc := tls.Client(conn, s.tls)
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("smtp %s: TLS: %w", addr, err)
		}
		conn = tc
	}
	c, err := smtp.NewClient(conn, s.cfg.Host)
	if err != nil {
		return fmt.Errorf("smtp %s: %w", addr, err)
	}
	defer c.Close()
	if err := c.Hello(helloName()); err != nil {
		return fmt.Errorf("smtp %s: EHLO: %w", addr, err)
	}
	if s.cfg.TLS == "starttls" {
		if ok, _ := c.Extension("STARTTLS"); !ok {
			return fmt.Errorf("smtp %s: the server does not offer STARTTLS (set reports.smtp.tls to tls or, for a local relay, none)", addr)
		}
		if err := c.StartTLS(s.tls); err != nil {
			return fmt.Errorf("smtp %s: STARTTLS: %w", addr, err)
		}
	}
	if s.cfg.Username != "" {
		var auth smtp.Auth
		if s.cfg.Auth == "login" {
			auth = &loginAuth{user: s.cfg.Username, pass: s.cfg.Password}
		} else {
			auth = smtp.PlainAuth("", s.cfg.Username, s.cfg.Password, s.cfg.Host)
		}
		if err := c.Auth(auth); err != nil {
			// The password is never in the error: net/smtp reports the
			// server's reply only.
			return fmt.Errorf("smtp %s: authentication as %s: %w", addr, s.cfg.Username, err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("smtp %s: MAIL FROM: %w", addr, err)
	}
	for _, r := range append(append([]string{}, m.To...), m.Cc...) {
		a, err := mail.ParseAddress(r)
		if err != nil {
			return fmt.Errorf("recipient %q: %w", r, err)
		}
		if err := c.Rcpt(a.Address); err != nil {
			return fmt.Errorf("smtp %s: RCPT TO %s: %w", addr, a.Address, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp %s: DATA: %w", addr, err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp %s: DATA: %w", addr, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp %s: message refused: %w", addr, err)
	}
	if err := c.Quit(); err != nil {
		// The message was accepted at the end of DATA; a failed QUIT
		// loses nothing.
		return nil
	}
	return nil
}

func helloName() string {
	if h, err := os.Hostname(); err == nil && h != "" && !strings.ContainsAny(h, " \r\n") {
		return h
	}
	return "localhost"
}

// loginAuth is the LOGIN mechanism (Office 365 and older Exchange), which
// net/smtp lacks. Like PlainAuth it refuses an unencrypted connection.
type loginAuth struct{ user, pass string }

func (a *loginAuth) Start(s *smtp.ServerInfo) (string, []byte, error) {
	if !s.TLS {
		return "", nil, errors.New("refusing LOGIN authentication over an unencrypted connection")
	}
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(from []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(string(from))) {
	case "username:", "user name", "username":
		return []byte(a.user), nil
	case "password:", "password":
		return []byte(a.pass), nil
	}
	return nil, fmt.Errorf("unexpected LOGIN challenge %q", from)
}

// compose writes m as a MIME message: multipart/mixed of a
// multipart/alternative (text, then HTML) and the attachments.
func compose(m Mail) ([]byte, error) {
	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	from, err := mail.ParseAddress(m.From)
	if err != nil {
		return nil, fmt.Errorf("sender %q: %w", m.From, err)
	}
	list := func(addrs []string) (string, error) {
		out := make([]string, 0, len(addrs))
		for _, a := range addrs {
			p, err := mail.ParseAddress(a)
			if err != nil {
				return "", fmt.Errorf("recipient %q: %w", a, err)
			}
			out = append(out, p.String())
		}
		return strings.Join(out, ", "), nil
	}
	to, err := list(m.To)
	if err != nil {
		return nil, err
	}
	cc, err := list(m.Cc)
	if err != nil {
		return nil, err
	}
	if m.Date.IsZero() {
		m.Date = time.Now()
	}
	h("From", from.String())
	if to != "" {
		h("To", to)
	}
	if cc != "" {
		h("Cc", cc)
	}
	h("Subject", mime.QEncoding.Encode("utf-8", strings.NewReplacer("\r", " ", "\n", " ").Replace(m.Subject)))
	h("Date", m.Date.Format(time.RFC1123Z))
	h("Message-ID", "<"+randomID()+"@"+domainOf(from.Address)+">")
	h("MIME-Version", "1.0")
	h("X-Mailer", "Throughline")
	mixed := multipart.NewWriter(&b)
	h("Content-Type", `multipart/mixed; boundary="`+mixed.Boundary()+`"`)
	b.WriteString("\r\n")

	var alt bytes.Buffer
	altW := multipart.NewWriter(&alt)
	for _, part := range []struct{ typ, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		if part.body == "" {
			continue
		}
		pw, err := altW.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {part.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		if err != nil {
			return nil, err
		}
		qp := quotedprintable.NewWriter(pw)
		if _, err := qp.Write([]byte(part.body)); err != nil {
			return nil, err
		}
		if err := qp.Close(); err != nil {
			return nil, err
		}
	}
	if err := altW.Close(); err != nil {
		return nil, err
	}
	aw, err := mixed.CreatePart(textproto.MIMEHeader{"Content-Type": {`multipart/alternative; boundary="` + altW.Boundary() + `"`}})
	if err != nil {
		return nil, err
	}
	if _, err := aw.Write(alt.Bytes()); err != nil {
		return nil, err
	}
	for _, a := range m.Attachments {
		name := mime.QEncoding.Encode("utf-8", a.Name)
		pw, err := mixed.CreatePart(textproto.MIMEHeader{
			"Content-Type":              {a.ContentType + `; name="` + name + `"`},
			"Content-Disposition":       {`attachment; filename="` + name + `"`},
			"Content-Transfer-Encoding": {"base64"},
		})
		if err != nil {
			return nil, err
		}
		enc := base64.StdEncoding.EncodeToString(a.Data)
		for len(enc) > 76 {
			if _, err := pw.Write([]byte(enc[:76] + "\r\n")); err != nil {
				return nil, err
			}
			enc = enc[76:]
		}
		if _, err := pw.Write([]byte(enc + "\r\n")); err != nil {
			return nil, err
		}
	}
	if err := mixed.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func randomID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 && i < len(addr)-1 {
		return addr[i+1:]
	}
	return "throughline.invalid"
}
