package message

import (
	"testing"

	"nimbus/core/amf"
)

func BenchmarkParseConnect(b *testing.B) {
	msg := unhex(b, connectMessage)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseCommand(msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendStatus(b *testing.B) {
	st := Status{Level: LevelStatus, Code: "NetStream.Play.Start", Description: "Started playing cam"}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = (Command{Name: CommandOnStatus, Args: []any{st.Object()}}).Append(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkAppendMedia(b *testing.B) {
	payload := make([]byte, 1200)
	buf := make([]byte, 0, 2048)
	b.SetBytes(int64(len(payload)))
	b.ReportAllocs()
	for b.Loop() {
		buf = Message{Type: TypeVideo, Time: 40, Payload: payload}.Append(buf[:0])
	}
}

func BenchmarkParseData(b *testing.B) {
	msg, err := Data{Handler: "chat", Args: []any{"hello world", 42.0, amf.NewObject(amf.Member{Key: "from", Value: "bob"})}}.Append(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseData(msg); err != nil {
			b.Fatal(err)
		}
	}
}
