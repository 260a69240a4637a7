package ingesttest

import (
	"encoding/json"
	"strings"
)

// SmallSeed drops what no parser reads (URLs, owners, senders, long texts)
// from a real payload. Whole payloads are tens of kilobytes, and the fuzzer
// spends its time minimising such inputs instead of mutating them.
func SmallSeed(body []byte) []byte {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return body
	}
	b, err := json.Marshal(prune(v))
	if err != nil {
		return body
	}
	return b
}

func prune(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k := range x {
			switch {
			case strings.HasSuffix(k, "url"), strings.HasSuffix(k, "_links"), k == "links", k == "node_id",
				k == "sender", k == "organization", k == "installation", k == "enterprise", k == "owner",
				k == "permissions", k == "reactions", k == "description", k == "body", k == "head_repository",
				k == "actor", k == "triggering_actor", k == "head_commit", k == "pull_requests", k == "repo",
				k == "user", k == "creator", k == "assignee", k == "assignees", k == "merged_by":
				delete(x, k)
			default:
				x[k] = prune(x[k])
			}
		}
		return x
	case []any:
		if len(x) > 3 {
			x = x[:3]
		}
		for i := range x {
			x[i] = prune(x[i])
		}
		return x
	}
	return v
}
