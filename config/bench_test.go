package config

import (
	"os"
	"testing"
)

func BenchmarkParseShippedConfig(b *testing.B) {
	src, err := os.ReadFile(shippedConfig)
	if err != nil {
		b.Fatal(err)
	}
	live := []byte(uncomment(string(src))) // every key set
	b.SetBytes(int64(len(live)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("config.toml", live); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseError(b *testing.B) {
	src := []byte("[rtmfp]\nlisten = [\"0.0.0.0:1935\"]\n[rtmfp.handshake]\ncookie_lifetime = \"9s\"\n[log]\nlevel = \"loud\"\n")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("config.toml", src); err == nil {
			b.Fatal("no error")
		}
	}
}
