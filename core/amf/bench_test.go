package amf

import "testing"

// BenchmarkDecodeConnect decodes the Flash 11.7 connect command body
// ("connect", 1, command object) with a reused Decoder.
func BenchmarkDecodeConnect(b *testing.B) {
	wire := hx(b, connectWire)
	var d Decoder
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		d.Reset(wire)
		for d.Remaining() > 0 {
			if _, err := d.ReadAMF0(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkEncodeConnect encodes the same command with a reused Encoder and
// buffer.
func BenchmarkEncodeConnect(b *testing.B) {
	cmd := connectObject()
	var e Encoder
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		e.Reset(buf[:0])
		if err := e.WriteAMF0("connect", 1.0, cmd); err != nil {
			b.Fatal(err)
		}
		buf = e.Bytes()
	}
	b.SetBytes(int64(len(buf)))
}

// amf3Sample is an AMF3 array of 16 anonymous objects sharing traits and
// strings, as objectEncoding 3 clients send.
func amf3Sample() *Array {
	a := &Array{}
	for i := 0; i < 16; i++ {
		a.Dense = append(a.Dense, NewObject(
			Member{"name", "user"},
			Member{"id", float64(i * 1000)},
			Member{"ratio", 0.25},
			Member{"active", i%2 == 0},
		))
	}
	return a
}

func BenchmarkDecodeAMF3Objects(b *testing.B) {
	e := NewEncoder(nil)
	if err := e.WriteAMF3(amf3Sample()); err != nil {
		b.Fatal(err)
	}
	wire := e.Bytes()
	var d Decoder
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		d.Reset(wire)
		if _, err := d.ReadAMF3(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeAMF3Objects(b *testing.B) {
	v := amf3Sample()
	var e Encoder
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		e.Reset(buf[:0])
		if err := e.WriteAMF3(v); err != nil {
			b.Fatal(err)
		}
		buf = e.Bytes()
	}
	b.SetBytes(int64(len(buf)))
}
