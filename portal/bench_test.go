package portal

import (
	"io"
	"log/slog"
	"testing"
)

// BenchmarkNew10000 builds an account of ten thousand orders from cold: the
// digest cache is emptied before every build, so hashing is measured too.
func BenchmarkNew10000(b *testing.B) {
	cfg := Config{Orders: 10000, Now: testNow, MaxFileSize: 64 << 10,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	for b.Loop() {
		resetDigestCache()
		if _, err := New(cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHash256MiB hashes the largest demo file, which New does once per
// process.
func BenchmarkHash256MiB(b *testing.B) {
	key := contentKey{seed: 1, order: "SO-10008", line: "10", size: 256 << 20}
	b.SetBytes(key.size)
	for b.Loop() {
		hashContent(key, false)
	}
}

// BenchmarkRenderPDF draws one claim certificate from scratch.
func BenchmarkRenderPDF(b *testing.B) {
	p := pdfPage{kind: "claim-certificate", title: "Claim Certificate", order: "SO-10001",
		po: "PO-1", account: demoAccount, paks: []string{"PAK-0000-0000-0000"}, issued: testNow}
	for b.Loop() {
		if _, err := renderPDF(p); err != nil {
			b.Fatal(err)
		}
	}
}
