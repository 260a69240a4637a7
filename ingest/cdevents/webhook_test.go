package cdevents

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/throughline/throughline/ingest"
)

var goldenOptions = Options{}

// fuzzHeaders makes the fuzzer explore all three content modes.
func fuzzHeaders(contentType string) http.Header {
	h := http.Header{}
	h.Set("Content-Type", contentType)
	if contentType == "" || strings.HasPrefix(contentType, "application/json") {
		h.Set("Ce-Specversion", "1.0")
	}
	return h
}

func sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

func TestVerify(t *testing.T) {
	body := []byte(`{"context":{}}`)
	for _, tc := range []struct {
		name    string
		secret  string
		headers map[string]string
		wantErr string
	}{
		{name: "good bearer", secret: "s3cret", headers: map[string]string{"Authorization": "Bearer s3cret"}},
		{name: "good signature", secret: "s3cret", headers: map[string]string{"X-Throughline-Signature": sign("s3cret", body)}},
		{name: "bad bearer", secret: "s3cret", headers: map[string]string{"Authorization": "Bearer nope"}, wantErr: "bearer token does not match"},
		{name: "basic is not bearer", secret: "s3cret", headers: map[string]string{"Authorization": "Basic czNjcmV0"}, wantErr: "Bearer <secret>"},
		{name: "bad signature", secret: "s3cret", headers: map[string]string{"X-Throughline-Signature": sign("other", body)}, wantErr: "does not match the body"},
		{name: "signature not hex", secret: "s3cret", headers: map[string]string{"X-Throughline-Signature": "sha256=zz"}, wantErr: "not hex"},
		{name: "signature without prefix", secret: "s3cret", headers: map[string]string{"X-Throughline-Signature": "abcd"}, wantErr: "sha256="},
		{name: "missing", secret: "s3cret", wantErr: "send Authorization"},
		{name: "unset secret accepts", secret: "", headers: nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := New(Options{Secret: tc.secret})
			if err != nil {
				t.Fatal(err)
			}
			h := http.Header{}
			for k, v := range tc.headers {
				h.Set(k, v)
			}
			err = w.Verify(h, body)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Verify = %v, want nil", err)
				}
				return
			}
			if !errors.Is(err, ingest.ErrUnauthorized) || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Verify = %v, want ErrUnauthorized containing %q", err, tc.wantErr)
			}
			if strings.Contains(err.Error(), tc.secret) {
				t.Fatalf("error leaks the secret: %v", err)
			}
		})
	}
}

func TestOptionsValidate(t *testing.T) {
	if _, err := New(Options{Secret: " padded "}); err == nil || !strings.Contains(err.Error(), "secret:") {
		t.Fatalf("New with padded secret = %v, want error naming secret", err)
	}
}

func TestParseErrors(t *testing.T) {
	w, _ := New(Options{})
	for _, tc := range []struct {
		name, contentType, body string
		want                    error
		wantMsg                 string
	}{
		{"xml", "application/xml", `<x/>`, ingest.ErrPayload, "not a CloudEvents JSON mode"},
		{"bad content type", "a/b; ===", `{}`, ingest.ErrPayload, "Content-Type"},
		{"plain json not cdevent", "application/json", `{"a":1}`, ingest.ErrPayload, "not a CloudEvent"},
		{"structured without data", contentStructured, `{"specversion":"1.0","id":"1","type":"t"}`, ingest.ErrPayload, "data: is required"},
		{"structured not object", contentStructured, `[1]`, ingest.ErrPayload, "JSON object"},
		{"bad base64", contentStructured, `{"specversion":"1.0","data_base64":"!!"}`, ingest.ErrPayload, "data_base64"},
		{"batch not array", contentBatch, `{}`, ingest.ErrPayload, "JSON array"},
		{"empty batch", contentBatch, `[]`, ingest.ErrIgnored, "empty batch"},
		{"batch bad item", contentBatch, `[{"specversion":"1.0","data":{"context":{"specversion":"0.5.0","type":"dev.cdevents.build.finished.0.2.0"},"subject":{}}}]`, ingest.ErrPayload, "batch[0]:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			h.Set("Content-Type", tc.contentType)
			_, err := w.Parse(h, []byte(tc.body))
			if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.wantMsg) {
				t.Fatalf("Parse = %v, want %v containing %q", err, tc.want, tc.wantMsg)
			}
		})
	}
}
