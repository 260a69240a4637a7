package alerting

import (
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"sort"
)

// labelRE is a Prometheus label name.
var labelRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// reservedLabels are set by Throughline on every alert of a rule.
var reservedLabels = map[string]bool{
	"alertname": true, "severity": true, "measure": true,
	"service": true, "team": true, "product": true, "portfolio": true,
}

// Fingerprint identifies an alert: the hash of its rule's name and its
// sorted labels, so the same rule on the same scope always has the same
// fingerprint, across evaluations and restarts.
func Fingerprint(rule string, labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	h := sha256.New()
	h.Write([]byte(rule))
	for _, k := range keys {
		// 0xff never occurs in UTF-8, so no two label sets hash alike by
		// shifting text between names and values.
		h.Write([]byte{0xff})
		h.Write([]byte(k))
		h.Write([]byte{0xfe})
		h.Write([]byte(labels[k]))
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// matches says whether labels has every name=value of m.
func matches(m, labels map[string]string) bool {
	for k, v := range m {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func cloneLabels(m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
