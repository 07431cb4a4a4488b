package script

import (
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

func fuzzState(t testing.TB) *lua.LState {
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	t.Cleanup(L.Close)
	return L
}

func FuzzFromJSON(f *testing.F) {
	for _, s := range []string{`[]`, `[[]]`, `[1,null,"x",{"a":[true,false]}]`, `{"__raw":"AAE="}`,
		`{"__type":"T","k":"2014-09-30T13:15:17.000Z"}`, `"\ud83d\ude00"`, `[1,`, `{"a"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		L := fuzzState(t)
		vals, err := decodeJSON(L, b, time.UTC, func(*lua.LTable, string) {})
		if err != nil {
			return
		}
		// What we decoded must encode (no cycles can come out of JSON).
		if _, err := encodeJSON(vals); err != nil {
			t.Fatalf("re-encode %q: %v", b, err)
		}
	})
}

func FuzzFromQuery(f *testing.F) {
	for _, s := range []string{"a=1&b=x&tok&c=2", "?x=%41%zz&=&&", "d=2014-09-30T13:15:17Z;n=1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		L := fuzzState(t)
		vals := decodeQuery(L, s, time.UTC)
		_ = encodeQuery(vals)
	})
}

func FuzzFromXML(f *testing.F) {
	for _, s := range []string{`<?xml version="1.0" ?><a x="1"><b>t</b>tail</a>`, `<a><b></a>`, `<x:y z:w="1"/>`, `<a>&amp;&lt;</a>`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		L := fuzzState(t)
		doc, err := decodeXML(L, b)
		if err != nil {
			return
		}
		if _, err := encodeXML(doc); err != nil {
			t.Fatalf("re-encode %q: %v", b, err)
		}
	})
}

func FuzzFromXMLRPC(f *testing.F) {
	for _, s := range []string{
		`<?xml version="1.0"?><methodResponse><params><param><value><struct type="T"><member><name>a</name><value><array><data><value><i4>1</i4></value></data></array></value></member></struct></value></param></params></methodResponse>`,
		`<methodCall><methodName>m</methodName><params><param><value><base64>AAE=</base64></value></param></params></methodCall>`,
		`<methodResponse><fault><value><string>x</string></value></fault></methodResponse>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		L := fuzzState(t)
		vals, err := decodeXMLRPC(L, b, time.UTC, nil)
		if err != nil {
			return
		}
		if _, err := encodeXMLRPC(vals); err != nil {
			t.Fatalf("re-encode %q: %v", b, err)
		}
	})
}

func FuzzFromAMF(f *testing.F) {
	for _, s := range []string{"\x00\x3f\xf0\x00\x00\x00\x00\x00\x00", "\x02\x00\x01a", "\x11\x09\x05\x01\x04\x01\x04\x02",
		"\x03\x00\x01a\x07\x00\x00\x00\x00\x09", "\x11\x0a\x0b\x01\x03a\x0a\x00\x01"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		L := fuzzState(t)
		vals, err := decodeAMF(L, b, time.UTC, func(*lua.LTable, string) {})
		if err != nil {
			return
		}
		if _, err := encodeAMF(vals, true); err != nil {
			t.Fatalf("re-encode %x: %v", b, err)
		}
	})
}
