package reports

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// Chromium prints the HTML report to PDF with a headless Chromium (Debian's
// chromium package). Each call starts its own browser with a throw-away
// profile, networking off, and the HTML from a file: the page is
// self-contained, so nothing is fetched.
type Chromium struct {
	// Path is the browser (default: FindChromium("")).
	Path string
	// Timeout bounds one print (default 60s).
	Timeout time.Duration
}

// chromiumCandidates are tried in order when no path is configured.
var chromiumCandidates = []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable"}

// FindChromium returns path when it is set and executable, else the first
// candidate found.
func FindChromium(path string) (string, error) {
	if path != "" {
		p, err := exec.LookPath(path)
		if err != nil {
			return "", fmt.Errorf("chromium %s: %w", path, err)
		}
		return p, nil
	}
	for _, c := range chromiumCandidates {
		if p, err := exec.LookPath(c); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no Chromium found for PDF rendering: install it (Debian: apt-get install chromium) or set reports.chromium")
}

// baseArgs keep a headless browser quiet and offline: no sandbox (it runs
// as a service user or root in a container), no GPU, no first-run, sync,
// component updates or background networking.
func baseArgs(profile string) []string {
	return []string{
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars", "--mute-audio",
		"--user-data-dir=" + profile,
	}
}

// PDF prints html to an A4 PDF (the page's @page rules set size and
// margins; no header or footer).
func (c *Chromium) PDF(ctx context.Context, html []byte) ([]byte, error) {
	out, err := c.Exec(ctx, html, "report.pdf", "--no-pdf-header-footer", "--print-to-pdf-no-header", "--print-to-pdf={out}")
	if err != nil {
		return nil, fmt.Errorf("print PDF: %w", err)
	}
	if !bytes.HasPrefix(out, []byte("%PDF")) {
		return nil, errors.New("print PDF: Chromium wrote no PDF")
	}
	return out, nil
}

// Exec loads html in a fresh headless browser with the extra arguments,
// where {out} stands for a file in a temporary directory named outName;
// it returns that file's contents, or the browser's standard output when
// outName is empty (--dump-dom).
func (c *Chromium) Exec(ctx context.Context, html []byte, outName string, args ...string) ([]byte, error) {
	bin, err := FindChromium(c.Path)
	if err != nil {
		return nil, err
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 60 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	dir, err := os.MkdirTemp("", "throughline-chromium-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, html, 0o600); err != nil {
		return nil, err
	}
	out := filepath.Join(dir, "out", outName)
	if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
		return nil, err
	}
	full := baseArgs(filepath.Join(dir, "profile"))
	for _, a := range args {
		full = append(full, replaceOut(a, out))
	}
	full = append(full, "file://"+page)
	cmd := exec.CommandContext(ctx, bin, full...)
	// The browser starts helpers (zygote, renderer); its own process group
	// lets a timeout end them all, and only them.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = append(os.Environ(), "HOME="+dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("chromium did not finish within %s", timeout)
		}
		return nil, fmt.Errorf("chromium: %w: %s", err, lastLines(stderr.String(), 3))
	}
	if outName == "" {
		return stdout.Bytes(), nil
	}
	b, err := os.ReadFile(out)
	if err != nil {
		return nil, fmt.Errorf("chromium wrote no %s: %s", outName, lastLines(stderr.String(), 3))
	}
	return b, nil
}

func replaceOut(arg, out string) string {
	return string(bytes.ReplaceAll([]byte(arg), []byte("{out}"), []byte(out)))
}

func lastLines(s string, n int) string {
	lines := bytes.Split(bytes.TrimSpace([]byte(s)), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte(" | ")))
}
