package alerting

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"text/template"
	"time"
)

// decodeSecret reads a Standard Webhooks secret: whsec_ and the base64 of
// 24 to 64 bytes.
func decodeSecret(s string) ([]byte, error) {
	raw, ok := strings.CutPrefix(s, "whsec_")
	if !ok {
		return nil, errors.New("a signing secret starts with whsec_ (Standard Webhooks)")
	}
	key, err := base64.StdEncoding.DecodeString(raw)
	if err != nil {
		return nil, errors.New("the part after whsec_ must be standard base64")
	}
	if len(key) < 24 || len(key) > 64 {
		return nil, fmt.Errorf("the key is %d bytes; Standard Webhooks keys are 24 to 64 bytes", len(key))
	}
	return key, nil
}

// sign sets the Standard Webhooks headers on h: webhook-id (the message id,
// the same on every attempt so receivers can drop repeats),
// webhook-timestamp (unix seconds of this attempt) and webhook-signature
// "v1,<base64 HMAC-SHA256 over id.timestamp.body>". With no key, only the
// id and timestamp are set.
func sign(h http.Header, key []byte, id string, at time.Time, body []byte) {
	ts := strconv.FormatInt(at.Unix(), 10)
	h.Set("webhook-id", id)
	h.Set("webhook-timestamp", ts)
	if len(key) == 0 {
		return
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id))
	mac.Write([]byte{'.'})
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	h.Set("webhook-signature", "v1,"+base64.StdEncoding.EncodeToString(mac.Sum(nil)))
}

// templateFuncs are the functions templates may call.
var templateFuncs = template.FuncMap{
	// json quotes a value for a JSON body: {"service": {{json .Alert.Labels.service}}}.
	"json": func(v any) (string, error) {
		b, err := json.Marshal(v)
		return string(b), err
	},
}
