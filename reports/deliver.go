package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// headlineFacts are the headline measures as "title: value (tier) change".
func headlineFacts(r *Report) [][2]string {
	var out [][2]string
	for _, m := range r.Headlines {
		if m.Value == nil {
			continue
		}
		v := m.Display
		if m.Tier != nil && *m.Tier != "" {
			v += " (" + *m.Tier + ")"
		}
		if m.Change != "" && m.Change != "no change" {
			v += ", " + m.Change
		}
		out = append(out, [2]string{m.Title, v})
	}
	return out
}

// webhookPayload is the message for a webhook: Slack's incoming-webhook
// JSON (text plus blocks), a Teams Adaptive Card message, or the summary
// as plain JSON.
func webhookPayload(format string, r *Report) ([]byte, error) {
	summary := ""
	if len(r.Summary) > 0 {
		summary = r.Summary[0]
	}
	facts := headlineFacts(r)
	switch format {
	case "", "slack":
		esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace
		text := "*" + esc(r.Title) + "*, " + esc(r.WindowLabel) + "\n" + esc(summary)
		if r.Link != "" {
			text += "\n<" + r.Link + "|Open the report>"
		}
		blocks := []any{
			map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": clip(r.Title, 150)}},
			map[string]any{"type": "context", "elements": []any{map[string]any{"type": "mrkdwn", "text": esc(r.Scope.Subject() + " · " + r.WindowLabel)}}},
		}
		if summary != "" {
			blocks = append(blocks, map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": clip(esc(summary), 3000)}})
		}
		var fields []any
		for _, f := range facts[:min(len(facts), 10)] {
			fields = append(fields, map[string]any{"type": "mrkdwn", "text": clip("*"+esc(f[0])+"*\n"+esc(f[1]), 2000)})
		}
		if len(fields) > 0 {
			blocks = append(blocks, map[string]any{"type": "section", "fields": fields})
		}
		if r.Link != "" {
			blocks = append(blocks, map[string]any{"type": "actions", "elements": []any{map[string]any{
				"type": "button", "text": map[string]any{"type": "plain_text", "text": "Open the report"}, "url": r.Link,
			}}})
		}
		return json.Marshal(map[string]any{"text": text, "blocks": blocks})
	case "teams":
		// Adaptive Card text blocks render a subset of Markdown: names from
		// data must not turn into links or emphasis.
		te := strings.NewReplacer(`\`, `\\`, "[", `\[`, "]", `\]`, "(", `\(`, ")", `\)`, "*", `\*`, "_", `\_`).Replace
		body := []any{
			map[string]any{"type": "TextBlock", "size": "Large", "weight": "Bolder", "text": te(r.Title), "wrap": true},
			map[string]any{"type": "TextBlock", "isSubtle": true, "spacing": "None", "text": te(r.Scope.Subject()) + " · " + r.WindowLabel, "wrap": true},
		}
		if summary != "" {
			body = append(body, map[string]any{"type": "TextBlock", "text": te(summary), "wrap": true})
		}
		var fs []any
		for _, f := range facts {
			fs = append(fs, map[string]any{"title": f[0], "value": f[1]})
		}
		if len(fs) > 0 {
			body = append(body, map[string]any{"type": "FactSet", "facts": fs})
		}
		card := map[string]any{
			"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
			"type":    "AdaptiveCard", "version": "1.4", "body": body,
		}
		if r.Link != "" {
			card["actions"] = []any{map[string]any{"type": "Action.OpenUrl", "title": "Open the report", "url": r.Link}}
		}
		return json.Marshal(map[string]any{
			"type": "message",
			"attachments": []any{map[string]any{
				"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": nil, "content": card,
			}},
		})
	case "json":
		type headline struct {
			Name    string   `json:"name"`
			Title   string   `json:"title"`
			Value   *float64 `json:"value"`
			Display string   `json:"display"`
			Tier    *string  `json:"tier"`
			Change  string   `json:"change"`
			Verdict string   `json:"verdict"`
		}
		hs := []headline{}
		for _, m := range r.Headlines {
			hs = append(hs, headline{m.Name, m.Title, m.Value, m.Display, m.Tier, m.Change, m.Verdict})
		}
		return json.Marshal(map[string]any{
			"schedule": r.Schedule, "title": r.Title, "scope": r.Scope.String(), "period": r.Period,
			"from": r.Window.From, "to": r.Window.To, "summary": r.Summary, "headlines": hs, "link": r.Link,
		})
	}
	return nil, fmt.Errorf("webhook format %q is not slack, teams or json", format)
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// postWebhook sends one message. Errors name the host only: webhook URLs
// carry their token in the path.
func postWebhook(ctx context.Context, client *http.Client, target WebhookTarget, payload []byte) error {
	host := hostOf(target.URL)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target.URL, bytes.NewReader(payload))
	if err != nil {
		return fmt.Errorf("webhook %s: bad URL", host)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "Throughline-Reports")
	resp, err := client.Do(req)
	if err != nil {
		// url.Error would repeat the whole URL.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("webhook %s: %w", host, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook %s: %s: %s", host, resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

func hostOf(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return "(bad URL)"
	}
	return u.Host
}

// writeDirectory writes the rendered files to dir as
// <schedule>_<first day>_<last day>.<format>, each atomically.
func writeDirectory(dir, base string, files map[string][]byte, formats []string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("directory %s: %w", dir, err)
	}
	// Every rendering that exists is written; the missing or failed ones
	// (a PDF without Chromium) are reported together.
	var errs []error
	for _, f := range formats {
		b, ok := files[f]
		if !ok {
			errs = append(errs, fmt.Errorf("directory %s: no %s rendering", dir, f))
			continue
		}
		if err := writeAtomic(filepath.Join(dir, base+"."+f), b); err != nil {
			errs = append(errs, fmt.Errorf("directory %s: %w", dir, err))
		}
	}
	return errors.Join(errs...)
}

// writeAtomic writes a file under a temporary name and renames it, so a
// reader never sees half a report.
func writeAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
