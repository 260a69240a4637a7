package queries

import (
	"encoding/base64"
	"fmt"

	"github.com/klauspost/compress/zstd"
)

const payloadEncoding = "zstd+base64"

// One encoder and decoder for the process: both are safe for concurrent
// EncodeAll/DecodeAll and costly to build. Package-level because they are
// stateless codecs, not configuration.
var (
	zenc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	zdec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(1))
)

func compressPayload(b []byte) string {
	return base64.StdEncoding.EncodeToString(zenc.EncodeAll(b, nil))
}

func decompressPayload(encoding, body string) ([]byte, error) {
	switch encoding {
	case payloadEncoding:
		z, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return nil, fmt.Errorf("payload: %w", err)
		}
		return zdec.DecodeAll(z, nil)
	case "", "identity":
		return []byte(body), nil
	}
	return nil, fmt.Errorf("payload: unknown encoding %q", encoding)
}
