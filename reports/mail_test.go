package reports

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/throughline/throughline/queries/chtest"
)

// TestEmailDelivery sends a scheduled report through a real SMTP exchange
// (STARTTLS or implicit TLS, PLAIN or LOGIN) and reads the message back:
// headers, the HTML and text bodies, and the PDF attachment as text.
func TestEmailDelivery(t *testing.T) {
	needChromium(t)
	pdftotext := needTool(t, "pdftotext", "poppler-utils")
	ca := newTestCA(t)
	st := chtest.NewStore(t, chtest.Embedded(t))
	loadDemo(t, st)
	comp := newComputer(t, st)

	for _, tc := range []struct {
		name        string
		tlsMode     string
		auth        string
		implicitTLS bool
	}{
		{name: "STARTTLS and PLAIN", tlsMode: "starttls", auth: "plain"},
		{name: "implicit TLS and LOGIN", tlsMode: "tls", auth: "login", implicitTLS: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startSMTP(t, ca, tc.implicitTLS, false)
			cfg := Config{
				BaseURL: "https://throughline.example.com",
				SMTP: SMTPConfig{Host: "127.0.0.1", Port: srv.port(), TLS: tc.tlsMode, Auth: tc.auth,
					Username: "reports", Password: "s3cret-pa55", From: "Throughline <reports@example.com>", CAFile: ca.pemFile},
				Schedules: []Schedule{{
					Name: "exec-weekly", Cron: "0 7 * * MON", TimeZone: "UTC", Audience: "executives",
					Email: &EmailTarget{To: []string{"CTO <cto@example.com>"}, Cc: []string{"vp@example.com"}},
				}},
			}
			s, err := NewScheduler(Options{Store: st, Computer: comp, Config: cfg, OutDir: t.TempDir(),
				Clock: newFakeClock(fixedNow), Chromium: needChromium(t)})
			if err != nil {
				t.Fatal(err)
			}
			rec := s.run(context.Background(), s.plans[0], fixedNow, TriggerSchedule)
			if rec.Outcome != OutcomeSuccess {
				t.Fatalf("run %s: %s", rec.Outcome, rec.Error)
			}
			msgs := srv.messages()
			if len(msgs) != 1 {
				t.Fatalf("%d messages received, want 1", len(msgs))
			}
			m := msgs[0]
			if !m.overTLS || m.authedAs != "reports" || m.mech != strings.ToUpper(tc.auth) {
				t.Errorf("received over TLS %v, authenticated as %q by %q", m.overTLS, m.authedAs, m.mech)
			}
			if m.from != "reports@example.com" || strings.Join(m.to, ",") != "cto@example.com,vp@example.com" {
				t.Errorf("envelope from %q to %v", m.from, m.to)
			}
			checkReportMail(t, m.data, pdftotext)
			runs, err := ListRuns(context.Background(), st, "exec-weekly", 1)
			if err != nil || len(runs) != 1 || runs[0].Outcome != OutcomeSuccess || strings.Join(runs[0].Recipients, ",") != "CTO <cto@example.com>,vp@example.com" ||
				strings.Join(runs[0].Formats, ",") != "json,html,md,pdf" {
				t.Errorf("recorded run %+v, %v", runs, err)
			}
		})
	}

	t.Run("refusals", func(t *testing.T) {
		for _, tc := range []struct {
			name    string
			noTLS   bool
			pass    string
			wantErr string
		}{
			{name: "no STARTTLS offered", noTLS: true, pass: "s3cret-pa55", wantErr: "does not offer STARTTLS"},
			{name: "wrong password", pass: "guess", wantErr: "authentication as reports: 535"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				srv := startSMTP(t, ca, false, tc.noTLS)
				m, err := NewSMTP(SMTPConfig{Host: "127.0.0.1", Port: srv.port(), Username: "reports", Password: tc.pass,
					From: "reports@example.com", CAFile: ca.pemFile}, nil)
				if err != nil {
					t.Fatal(err)
				}
				err = m.Send(context.Background(), Mail{To: []string{"a@example.com"}, Subject: "x", Text: "x"})
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error containing %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), tc.pass) {
					t.Errorf("the error shows the password: %v", err)
				}
				if len(srv.messages()) != 0 {
					t.Error("a message went through")
				}
			})
		}
	})
}

// checkReportMail parses a report email and checks every part.
func checkReportMail(t *testing.T, data []byte, pdftotext string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil || subject != "Engineering performance: the organisation — 23 Feb – 1 Mar 2026" {
		t.Errorf("subject %q, %v", subject, err)
	}
	if got := msg.Header.Get("To"); got != `"CTO" <cto@example.com>` {
		t.Errorf("To %q", got)
	}
	if msg.Header.Get("Cc") != "<vp@example.com>" || msg.Header.Get("Message-Id") == "" || msg.Header.Get("Date") == "" {
		t.Errorf("headers %v", msg.Header)
	}
	for i, line := range bytes.Split(data, []byte("\n")) {
		if len(line) > 998 {
			t.Fatalf("line %d is %d bytes: SMTP allows 998", i+1, len(line))
		}
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		t.Fatalf("content type %q %v", mt, err)
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	var text, htmlBody string
	var pdf []byte
	var pdfName string
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pt, pp, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		switch pt {
		case "multipart/alternative":
			ar := multipart.NewReader(p, pp["boundary"])
			for {
				ap, err := ar.NextPart()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(ap) // quoted-printable is decoded by the reader
				switch at, _, _ := mime.ParseMediaType(ap.Header.Get("Content-Type")); at {
				case "text/plain":
					text = string(b)
				case "text/html":
					htmlBody = string(b)
				}
			}
		case "application/pdf":
			_, dp, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
			pdfName = dp["filename"]
			b, _ := io.ReadAll(p)
			pdf, err = base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(b)), ""))
			if err != nil {
				t.Fatal(err)
			}
		default:
			t.Errorf("unexpected part %s", pt)
		}
	}
	if !strings.HasPrefix(text, "# Engineering performance: the organisation") {
		t.Errorf("text part does not start with the title: %.80q", text)
	}
	if !strings.Contains(htmlBody, "<h1>Engineering performance: the organisation</h1>") || !strings.Contains(htmlBody, `<svg class="chart"`) {
		t.Errorf("HTML part lacks the title or the charts")
	}
	if pdfName != "exec-weekly_2026-02-23.pdf" || !bytes.HasPrefix(pdf, []byte("%PDF")) {
		t.Fatalf("attachment %q of %d bytes is not the PDF", pdfName, len(pdf))
	}
	path := filepath.Join(t.TempDir(), "attached.pdf")
	if err := os.WriteFile(path, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-enc", "UTF-8", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	flat := strings.Join(strings.Fields(string(out)), " ")
	for _, want := range []string{"Engineering performance: the organisation", "for executives", "Deployment frequency", "7/day", "Online: https://throughline.example.com/api/v1/reports/exec-weekly?run=exec-weekly-20260302T0700Z"} {
		if !strings.Contains(flat, want) {
			t.Errorf("the attached PDF's text lacks %q", want)
		}
	}
}
