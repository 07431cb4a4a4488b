package script

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"nimbus/core"
)

// flvTags returns the audio and video tags of an FLV file as packets, and
// those tags' bytes (script data left out).
func flvTags(t *testing.T, name string) ([]*core.MediaPacket, []byte) {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 13 || string(b[:3]) != "FLV" {
		t.Fatalf("%s: not FLV", name)
	}
	var pkts []*core.MediaPacket
	var raw []byte
	for rest := b[13:]; len(rest) > 0; {
		if len(rest) < 15 {
			t.Fatalf("%s: truncated tag", name)
		}
		n := int(rest[1])<<16 | int(rest[2])<<8 | int(rest[3])
		end := 11 + n + 4
		if end > len(rest) || binary.BigEndian.Uint32(rest[11+n:]) != uint32(11+n) {
			t.Fatalf("%s: bad tag", name)
		}
		time := uint32(rest[7])<<24 | uint32(rest[4])<<16 | uint32(rest[5])<<8 | uint32(rest[6])
		switch rest[0] {
		case 8:
			pkts = append(pkts, &core.MediaPacket{Kind: core.MediaAudio, Time: time, Payload: rest[11 : 11+n]})
			raw = append(raw, rest[:end]...)
		case 9:
			pkts = append(pkts, &core.MediaPacket{Kind: core.MediaVideo, Time: time, Payload: rest[11 : 11+n]})
			raw = append(raw, rest[:end]...)
		}
		rest = rest[end:]
	}
	return pkts, raw
}

// TestMediaWriterRecordsPublication records a publication the way
// MonaServer's VideoPublisher sample does: publication:onVideo/onAudio →
// writer:write → a file opened with io.open.
func TestMediaWriterRecordsPublication(t *testing.T) {
	dir := t.TempDir()
	tsPath, flvPath := filepath.Join(dir, "cam.ts"), filepath.Join(dir, "cam.flv")
	e := startCore(t, map[string]string{"main.lua": fmt.Sprintf(`
		local files = {}
		function onConnection(client)
			function client:onPublish(pub)
				local ts, flv = assert(io.open(%q, "wb")), assert(io.open(%q, "wb"))
				files[pub.name] = {ts, flv}
				local tsw, flvw = mona:createMediaWriter("mp2t"), mona:createMediaWriter("flv")
				function pub:onVideo(time, packet)
					ts:write(tsw:write(2, time, packet))
					flv:write(flvw:write(2, time, packet))
				end
				function pub:onAudio(time, packet)
					ts:write(tsw:write(1, time, packet))
					flv:write(flvw:write(1, time, packet))
				end
			end
			function client:onUnpublish(pub)
				for _, f in ipairs(files[pub.name]) do f:close() end
				files[pub.name] = nil
			end
		end`, tsPath, flvPath)})
	pkts, raw := flvTags(t, "../core/media/testdata/h264_aac.flv")

	c := e.connect("rtmfp://host/")
	h, err := e.srv.Publish(c.c, "cam", &fakeSink{log: c.conn.log})
	if err != nil {
		t.Fatal(err)
	}
	c.waitFor("publish started cam")
	for i, p := range pkts {
		e.srv.PushMedia(h, p)
		if i%16 == 15 {
			e.onLoop(func() {}) // let the loop drain its queue
		}
	}
	e.srv.Unpublish(h)
	e.onLoop(func() {})
	if n := e.srv.Stats().MediaDropped.Load(); n != 0 {
		t.Fatalf("%d packets dropped", n)
	}

	flv, err := os.ReadFile(flvPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(flv, []byte("FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00")) || !bytes.Equal(flv[13:], raw) {
		t.Errorf("FLV recording (%d bytes) differs from the published tags (%d bytes)", len(flv), len(raw)+13)
	}

	ts, err := os.ReadFile(tsPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(ts) == 0 || len(ts)%188 != 0 {
		t.Fatalf("TS recording of %d bytes", len(ts))
	}
	starts := map[int]int{} // PES starts per PID
	for i := 0; i < len(ts); i += 188 {
		if ts[i] != 0x47 {
			t.Fatalf("packet %d: sync byte %#x", i/188, ts[i])
		}
		if ts[i+1]&0x40 != 0 {
			starts[int(ts[i+1]&0x1f)<<8|int(ts[i+2])]++
		}
	}
	var video, audio int
	for _, p := range pkts {
		switch {
		case p.Kind == core.MediaVideo && p.Payload[1] == 1:
			video++
		case p.Kind == core.MediaAudio && p.Payload[1] == 1:
			audio++
		}
	}
	if starts[0] == 0 || starts[0] != starts[0x1000] || starts[0x100] != video || starts[0x101] != audio {
		t.Errorf("unit starts per PID %v; want %d video and %d audio frames", starts, video, audio)
	}
}

// TestMediaWriterLogsOnce: a publisher sending what the container cannot
// carry is logged once per writer and kind of error, not per packet.
func TestMediaWriterLogsOnce(t *testing.T) {
	e := startCore(t, map[string]string{"main.lua": ""})
	e.mustLua("", `
		local w = mona:createMediaWriter("mp2t")
		for i = 1, 5 do
			assert(w:write(2, i, string.char(0x22, 0, 0)) == "")      -- Sorenson
			assert(w:write(1, i, string.char(0xaf, 1, 1, 2)) == "")   -- AAC before its config
		end
		local other = mona:createMediaWriter("mp2t")
		assert(other:write(2, 0, string.char(0x42, 0)) == "")        -- VP6 on another writer
	`)
	logs := e.logs.all()
	if n := strings.Count(logs, "unsupported codec"); n != 2 {
		t.Errorf("%d unsupported-codec lines, want 2 (one per writer):\n%s", n, logs)
	}
	if n := strings.Count(logs, "before its codec configuration"); n != 1 {
		t.Errorf("%d missing-config lines, want 1:\n%s", n, logs)
	}
	if e.logs.find("media writer", "lua=", "format=mp2t") == "" {
		t.Errorf("log line without its Lua position:\n%s", logs)
	}
}
