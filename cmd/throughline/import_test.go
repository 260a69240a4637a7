package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/throughline/throughline/poll/polltest"
)

// TestImportCommand runs `throughline import github` against the recorded
// GitHub API on the embedded engine, then checks the flag errors and the
// help. (12 events written: a commit of pull request #42 is also on main;
// the store keeps it once.)
func TestImportCommand(t *testing.T) {
	srv := polltest.New(t, "../../testdata/backfill/github")
	srv.RequireHeader("Authorization", "Bearer ghp_cmd_test")
	t.Setenv("TEST_GH_TOKEN", "ghp_cmd_test")
	dir := t.TempDir()
	opts := filepath.Join(dir, "github.yaml")
	if err := os.WriteFile(opts, []byte("per_page: 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"import", "github", "--repo", "acme/checkout", "--since", "2026-02-01", "--base-url", srv.URL,
		"--token-env", "TEST_GH_TOKEN", "--options", opts, "--data", filepath.Join(dir, "data"), "--no-progress", "--log-level", "error"}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), args, &out, &errOut); err != nil {
		t.Fatalf("%v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "imported 12 events from github acme/checkout") {
		t.Fatalf("stdout %q", out.String())
	}
	cp := filepath.Join(dir, "data", "checkpoints")
	if files, _ := filepath.Glob(filepath.Join(cp, "github-acme_checkout-*.json")); len(files) != 1 {
		t.Fatalf("checkpoint files %v", files)
	}
	if strings.Contains(out.String()+errOut.String(), "ghp_cmd_test") {
		t.Fatal("the token was printed")
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "github", "--since", "2026-02-01"}, "--repo: required"},
		{[]string{"import", "svn", "--repo", "a/b"}, `unknown tool "svn"`},
		{[]string{"import", "--repo", "a/b"}, "name the tool first"},
		{[]string{"import", "gitlab", "--repo", "a/b", "--token-env", "NOT_SET_ANYWHERE_42"}, "--token-env: environment variable NOT_SET_ANYWHERE_42 is not set"},
		{[]string{"import", "servicenow", "--instance", "https://acme.service-now.com"}, "--username: required"},
		{[]string{"import", "github", "--repo", "a/b", "--since", "soon"}, "--since:"},
		{[]string{"import", "github", "--repo", "a/b", "--options", opts + ".missing"}, "--options:"},
	} {
		var o, e bytes.Buffer
		err := run(context.Background(), tc.args, &o, &e)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err %v, want %q", tc.args, err, tc.want)
		}
	}
	var help bytes.Buffer
	if err := run(context.Background(), []string{"import", "--help"}, &help, &help); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	for _, want := range []string{"-token-env", "-checkpoint-dir", "Examples:", "throughline import github --repo acme/checkout"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}

// TestIsTerminal: a buffer, a file and a pipe are not terminals (no
// progress bar is drawn on them).
func TestIsTerminal(t *testing.T) {
	f, err := os.CreateTemp(t.TempDir(), "log")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	for _, out := range []io.Writer{&bytes.Buffer{}, f, w} {
		if isTerminal(out) {
			t.Errorf("%T is taken for a terminal", out)
		}
	}
}
