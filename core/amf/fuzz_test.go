package amf

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// fuzzSeeds returns every encoding the other tests use, valid or not.
func fuzzSeeds(f *testing.F, amf3 bool) [][]byte {
	var seeds [][]byte
	cases := amf0Cases()
	if amf3 {
		cases = amf3Cases()
	}
	for _, tc := range cases {
		if b := hx(f, tc.wire); len(b) <= 4096 { // big seeds only slow the fuzzer down
			seeds = append(seeds, b)
		}
	}
	for _, bc := range badInputs() {
		if bc.amf3 == amf3 {
			seeds = append(seeds, hx(f, bc.wire))
		}
	}
	if amf3 {
		seeds = append(seeds,
			hx(f, `09 05 01 0a 0b 01 03 "a" 04 01 01 0a 01 03 "b" 04 02 01`),
			hx(f, `0a 0b 01 09 "self" 0a 00 01`),
			hx(f, "11 03 00 11 00 11 00"),
			hx(f, `09 05 01 0a 13 03 "P" 03 "x" 04 01 0a 01 04 02`),
			hx(f, "09 05 01 08 01 0000000000000000 08 02"),
			nested(8, true),
		)
	} else {
		seeds = append(seeds,
			hx(f, connectWire),
			hx(f, resultWire),
			hx(f, setPeerInfoWire),
			hx(f, `03 0004 "self" 07 0000 000009`),
			hx(f, `11 0a 0b 01 03 "a" 06 03 "s" 01 11 06 02 11 0a 00 03 0001 "x" 05 000009 07 0000`),
			hx(f, `11 0a 0b 01 03 "a" 04 01 01 11 0a 13 03 "Z" 03 "y" 0a 00 11 0a 00`),
			nested(8, false),
		)
	}
	return seeds
}

func FuzzDecodeAMF0(f *testing.F) {
	for _, s := range fuzzSeeds(f, false) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkDecoded(t, b, false) })
}

func FuzzDecodeAMF3(f *testing.F) {
	for _, s := range fuzzSeeds(f, true) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkDecoded(t, b, true) })
}

// checkDecoded decodes all values of b; when that succeeds, encoding them
// must succeed, decoding the encoding must give equal values with the same
// sharing, and encoding those again must give the same bytes. It also
// checks that the decoded values are no larger than the input.
func checkDecoded(t *testing.T, b []byte, amf3 bool) {
	// A hang would stall the fuzzer silently; crashing the worker instead
	// makes it report the input.
	wd := time.AfterFunc(10*time.Second, func() { panic(fmt.Sprintf("SLOW %x", b)) })
	defer wd.Stop()
	d := NewDecoder(b)
	var values []any
	for d.Remaining() > 0 {
		var v any
		var err error
		if amf3 {
			v, err = d.ReadAMF3()
		} else {
			v, err = d.ReadAMF0()
		}
		if err != nil {
			return
		}
		values = append(values, v)
	}
	if n := countSlots(values); n > len(b) {
		t.Fatalf("%d value slots decoded from %d bytes", n, len(b))
	}
	enc, err := encodeAll(values, amf3)
	if err != nil {
		t.Fatalf("encoding decoded values: %v\ninput %x", err, b)
	}
	again, err := decodeN(enc, amf3, len(values))
	if err != nil {
		t.Fatalf("decoding the re-encoding: %v\ninput %x\nencoded %x", err, b, enc)
	}
	if diff := explainDiff(&Array{Dense: again}, &Array{Dense: values}); diff != "" {
		t.Fatalf("round trip: %s\ninput %x\nencoded %x", diff, b, enc)
	}
	enc2, err := encodeAll(again, amf3)
	if err != nil || !bytes.Equal(enc, enc2) {
		t.Fatalf("second encoding differs (%v):\n%x\n%x", err, enc, enc2)
	}
}

// countSlots counts the value positions of the top-level values and of
// every distinct container they reach. Each slot costs at least one input
// byte, so a decoder that copied references instead of sharing them, or
// allocated by declared counts, would exceed the input length.
func countSlots(values []any) int {
	seen := map[any]bool{}
	n := 0
	var walk func(v any)
	walk = func(v any) {
		n++
		key, ok := objectKey(v)
		if !ok {
			return
		}
		switch key.(type) {
		case dateKey, xmlKey, xmlDocKey, bytesKey:
			return
		}
		if seen[key] {
			return
		}
		seen[key] = true
		switch x := v.(type) {
		case *Object:
			for _, m := range x.Members {
				walk(m.Value)
			}
			if x.Externalizable {
				walk(x.External)
			}
		case *Array:
			for _, m := range x.Assoc {
				walk(m.Value)
			}
			for _, item := range x.Dense {
				walk(item)
			}
		case *ECMAArray:
			for _, m := range x.Entries {
				walk(m.Value)
			}
		case *VectorInt:
			n += len(x.Items)
		case *VectorUint:
			n += len(x.Items)
		case *VectorDouble:
			n += len(x.Items)
		case *VectorObject:
			for _, item := range x.Items {
				walk(item)
			}
		case *Dictionary:
			for _, en := range x.Entries {
				walk(en.Key)
				walk(en.Value)
			}
		}
	}
	for _, v := range values {
		walk(v)
	}
	return n
}
