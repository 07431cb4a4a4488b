package flash

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"nimbus/core"
	"nimbus/core/amf"
	"nimbus/rtmfp/flash/message"
)

// Media of the publish/play test. Audio is AAC (sound format 10), video AVC
// (codec 7); every payload carries its index so order can be checked.
var (
	audioConfig = []byte{0xaf, 0x00, 0x12, 0x10}
	videoConfig = []byte{0x17, 0x00, 0x00, 0x00, 0x00, 0x01, 0x64, 0x00, 0x1f}
)

func audioFrame(i int) []byte {
	return binary.BigEndian.AppendUint32([]byte{0xaf, 0x01}, uint32(i))
}

func videoFrame(i int) []byte {
	b := []byte{0x27, 0x01} // inter frame
	if i%10 == 0 {
		b[0] = 0x17 // keyframe
	}
	return binary.BigEndian.AppendUint32(b, uint32(i))
}

func frameIndex(p []byte) int { return int(binary.BigEndian.Uint32(p[2:])) }

// played is what one subscriber received, per track, in arrival order.
type played struct {
	meta   []Packet
	audio  []int // frame indexes; -1 for the configuration
	video  []int
	chat   []int
	others int
}

// collect reads packets until the subscriber has want audio, video and
// chat messages (configurations and metadata included in the counts of
// their tracks).
func collect(ctx context.Context, st *Stream, wantAudio, wantVideo, wantChat int) (played, error) {
	var p played
	for len(p.audio) < wantAudio || len(p.video) < wantVideo || len(p.chat) < wantChat {
		pkt, err := st.Receive(ctx)
		if err != nil {
			return p, fmt.Errorf("after %d audio, %d video, %d chat: %w", len(p.audio), len(p.video), len(p.chat), err)
		}
		switch pkt.Type {
		case message.TypeAudio:
			if message.IsAudioConfig(pkt.Payload) {
				p.audio = append(p.audio, -1)
			} else {
				p.audio = append(p.audio, frameIndex(pkt.Payload))
			}
		case message.TypeVideo:
			if message.IsVideoConfig(pkt.Payload) {
				p.video = append(p.video, -1)
			} else {
				p.video = append(p.video, frameIndex(pkt.Payload))
			}
		default:
			switch pkt.Handler {
			case "onMetaData":
				p.meta = append(p.meta, pkt)
			case "chat":
				n, _ := pkt.Args[0].(float64)
				p.chat = append(p.chat, int(n))
			default:
				p.others++
			}
		}
	}
	return p, nil
}

func checkSequence(t *testing.T, who, track string, got []int, first, n int) {
	t.Helper()
	if len(got) != n {
		t.Errorf("%s: %s: %d messages, want %d", who, track, len(got), n)
		return
	}
	for i, v := range got {
		if v != first+i {
			t.Errorf("%s: %s: message %d is %d, want %d (all: %v)", who, track, i, v, first+i, got)
			return
		}
	}
}

func TestPublishPlayFanOut(t *testing.T) {
	const subscribers = 50
	const frames = 100
	a := &app{}
	// Every test client comes from 127.0.0.1: the per-address IHello bucket
	// and the DH pool are sized for one address per client, so the 50
	// simultaneous handshakes get room they would have from 50 addresses.
	ts := startServer(t, a, func(c *Config, _ *core.Options) {
		c.Transport.HelloRate, c.Transport.HelloBurst = 1000, 1000
		c.Transport.MaxConcurrentDH = 64
	})
	ctx := ctxTimeout(t, 60*time.Second)

	pubClient := ts.mustDial("live")
	pub, err := pubClient.NewStream(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// Subscribers first: they wait for the publication.
	type sub struct {
		c  *Client
		st *Stream
	}
	subs := make([]sub, subscribers)
	var wg sync.WaitGroup
	errs := make(chan error, subscribers)
	for i := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := ts.dial("live")
			if err != nil {
				errs <- err
				return
			}
			st, err := c.NewStream(ctx)
			if err == nil {
				err = st.Play(ctx, "cam")
			}
			if err != nil {
				c.Close()
				errs <- err
				return
			}
			subs[i] = sub{c, st}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, s := range subs {
		t.Cleanup(func() { s.c.Close() })
	}

	notified := make(chan message.Status, subscribers)
	for _, s := range subs {
		s.st.OnStatus(func(st message.Status) {
			if st.Code == "NetStream.Play.PublishNotify" {
				notified <- st
			}
		})
	}
	if err := pub.Publish(ctx, "cam"); err != nil {
		t.Fatal(err)
	}
	for range subscribers {
		select {
		case st := <-notified:
			if st.Description != "cam is now published" {
				t.Fatalf("PublishNotify %q", st.Description)
			}
		case <-ctx.Done():
			t.Fatal("PublishNotify missing")
		}
	}

	// A second publisher of the same name is refused.
	other := ts.mustDial("live")
	ost, err := other.NewStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var se *StatusError
	if err := ost.Publish(ctx, "cam"); !errors.As(err, &se) || se.Code != "NetStream.Publish.BadName" || se.Description != "cam is already publishing" {
		t.Fatalf("second publisher: %v", err)
	}

	meta := amf.NewECMAArray(amf.Member{Key: "width", Value: 640.0}, amf.Member{Key: "height", Value: 360.0})
	send := func(from, to int) {
		for i := from; i < to; i++ {
			if err := pub.WriteAudio(uint32(i*20), audioFrame(i)); err != nil {
				t.Fatal(err)
			}
			if err := pub.WriteVideo(uint32(i*20), videoFrame(i)); err != nil {
				t.Fatal(err)
			}
			if err := pub.Send("chat", float64(i)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := pub.Send("@setDataFrame", "onMetaData", meta); err != nil {
		t.Fatal(err)
	}
	if err := pub.WriteAudio(0, audioConfig); err != nil {
		t.Fatal(err)
	}
	if err := pub.WriteVideo(0, videoConfig); err != nil {
		t.Fatal(err)
	}
	send(0, frames)

	results := make([]played, subscribers)
	errs = make(chan error, subscribers)
	for i, s := range subs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p, err := collect(ctx, s.st, frames+1, frames+1, frames)
			if err != nil {
				errs <- fmt.Errorf("subscriber %d: %w", i, err)
			}
			results[i] = p
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i, p := range results {
		who := fmt.Sprintf("subscriber %d", i)
		if p.audio[0] != -1 || p.video[0] != -1 {
			t.Fatalf("%s: configurations not first: audio %d video %d", who, p.audio[0], p.video[0])
		}
		checkSequence(t, who, "audio", p.audio[1:], 0, frames)
		checkSequence(t, who, "video", p.video[1:], 0, frames)
		checkSequence(t, who, "chat", p.chat, 0, frames)
		if len(p.meta) != 1 {
			t.Fatalf("%s: %d metadata messages", who, len(p.meta))
		}
		if arr, ok := p.meta[0].Args[0].(*amf.ECMAArray); !ok || len(arr.Entries) != 2 {
			t.Fatalf("%s: metadata %#v", who, p.meta[0].Args)
		}
	}

	// A late joiner gets the metadata and both configurations before the
	// media that follows.
	late := ts.mustDial("live")
	lst, err := late.NewStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := lst.Play(ctx, "cam"); err != nil {
		t.Fatal(err)
	}
	send(frames, frames+10) // frame 100 is a keyframe
	p, err := collect(ctx, lst, 11, 11, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.meta) != 1 || p.audio[0] != -1 || p.video[0] != -1 {
		t.Fatalf("late joiner: metadata %d, first audio %d, first video %d", len(p.meta), p.audio[0], p.video[0])
	}
	checkSequence(t, "late joiner", "audio", p.audio[1:], frames, 10)
	checkSequence(t, "late joiner", "video", p.video[1:], frames, 10)
	checkSequence(t, "late joiner", "chat", p.chat, frames, 10)

	// Stopping the publication notifies the listeners, who stay attached.
	unpublished := make(chan struct{}, 1)
	lst.OnStatus(func(st message.Status) {
		if st.Code == "NetStream.Play.UnpublishNotify" {
			unpublished <- struct{}{}
		}
	})
	if err := pub.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-unpublished:
	case <-ctx.Done():
		t.Fatal("UnpublishNotify missing")
	}
	waitFor(t, 5*time.Second, "unpublish event", func() bool { return a.count("unpublish cam") == 1 })
	var listeners int
	ts.onLoop(func() {
		if p := ts.core.Publication("cam"); p != nil {
			listeners = len(p.Listeners())
		}
	})
	if listeners != subscribers+1 {
		t.Fatalf("%d listeners still waiting, want %d", listeners, subscribers+1)
	}
	if d := ts.srv.Stats().FramesDropped.Load(); d != 0 {
		t.Errorf("%d frames dropped on an idle loopback", d)
	}
}

func TestPlayRefusedAndStop(t *testing.T) {
	a := &app{subscribe: func(c *core.Client, l *core.Listener) error {
		if l.Publication.Name == "secret" {
			return core.ErrRefused
		}
		return nil
	}, publish: func(c *core.Client, p *core.Publication) error {
		if p.Name == "forbidden" {
			return core.ErrRefused
		}
		return nil
	}}
	ts := startServer(t, a, nil)
	ctx := ctxTimeout(t, 20*time.Second)
	c := ts.mustDial("app")
	st, err := c.NewStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var se *StatusError
	var fe *Error
	if err := st.Play(ctx, "secret"); !errors.As(err, &se) || !errors.As(err, &fe) || fe.Op != "play" ||
		se.Code != "NetStream.Play.Failed" || se.Description != "Not authorized to play secret" {
		t.Fatalf("play refused: %v", err)
	}
	if err := st.Publish(ctx, "forbidden"); !errors.As(err, &se) || se.Code != "NetStream.Publish.BadName" ||
		se.Description != "Not allowed to publish forbidden" {
		t.Fatalf("publish refused: %v", err)
	}
	// Play, then closeStream: Play.Stop and the unsubscribe event.
	if err := st.Play(ctx, "open"); err != nil {
		t.Fatal(err)
	}
	stopped := make(chan string, 4)
	st.OnStatus(func(s message.Status) { stopped <- s.Code })
	if err := st.command(st.flow, message.CommandCloseStream); err != nil {
		t.Fatal(err)
	}
	select {
	case code := <-stopped:
		if code != "NetStream.Play.Stop" {
			t.Fatalf("status %s", code)
		}
	case <-ctx.Done():
		t.Fatal("no Play.Stop")
	}
	waitFor(t, 5*time.Second, "unsubscribe", func() bool { return a.count("unsubscribe open") == 1 })
	// Streams are bounded per client.
	for i := 0; ; i++ {
		_, err := c.NewStream(ctx)
		if err != nil {
			var ce *CallError
			if !errors.As(err, &ce) || i != defaultMaxStreams-1 {
				t.Fatalf("stream %d: %v", i, err)
			}
			break
		}
	}
}

func TestReceiveVideoToggle(t *testing.T) {
	ts := startServer(t, &app{}, nil)
	ctx := ctxTimeout(t, 20*time.Second)
	pc, sc := ts.mustDial("live"), ts.mustDial("live")
	pub, err := pc.NewStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(ctx, "cam"); err != nil {
		t.Fatal(err)
	}
	sub, err := sc.NewStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Play(ctx, "cam"); err != nil {
		t.Fatal(err)
	}
	pub.WriteVideo(0, videoConfig)
	if err := sub.ReceiveVideo(false); err != nil {
		t.Fatal(err)
	}
	// Round trip through the server so that the mute is applied before
	// the frames are sent.
	if _, err := sc.Call(ctx, "sync"); err == nil {
		t.Fatal("expected method not found")
	}
	for i := range 10 {
		pub.WriteVideo(uint32(i), videoFrame(i))
		pub.WriteAudio(uint32(i), audioFrame(i))
	}
	// Muted: audio only (and the video config sent before the mute).
	p, err := collect(ctx, sub, 10, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range p.video {
		if v != -1 {
			t.Fatalf("video frame %d delivered while muted", v)
		}
	}
	if err := sub.ReceiveVideo(true); err != nil {
		t.Fatal(err)
	}
	if _, err := sc.Call(ctx, "sync"); err == nil {
		t.Fatal("expected method not found")
	}
	for i := 11; i <= 20; i++ { // 11..19 are delta frames, 20 a keyframe
		pub.WriteVideo(uint32(i), videoFrame(i))
	}
	var got []int
	for len(got) == 0 || got[len(got)-1] != 20 {
		pkt, err := sub.Receive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if pkt.Type == message.TypeVideo {
			if message.IsVideoConfig(pkt.Payload) {
				got = append(got, -1)
			} else {
				got = append(got, frameIndex(pkt.Payload))
			}
		}
	}
	// Unmuting replays the configuration, then video resumes at the next
	// keyframe.
	if len(got) < 2 || got[len(got)-2] != -1 {
		t.Fatalf("video after unmute: %v", got)
	}
}

// TestCreateStreamWithoutTransaction: librtmfp (FFmpeg's RTMFP) sends
// createStream with transaction ID 0 and waits for the _result carrying the
// stream number, as MonaServer and Cumulus send it. Without that answer it
// never publishes nor plays.
func TestCreateStreamWithoutTransaction(t *testing.T) {
	ts := startServer(t, &app{}, nil)
	c := ts.mustDial("app")
	answers := make(chan callAnswer, 1)
	c.mu.Lock()
	c.calls[0] = answers
	c.mu.Unlock()
	if err := c.invoke(message.Command{Name: message.CommandCreateStream}); err != nil {
		t.Fatal(err)
	}
	select {
	case a := <-answers:
		if a.err != nil || len(a.args) != 1 || a.args[0] != float64(1) {
			t.Fatalf("answer %v, %v; want stream 1", a.args, a.err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("no _result for a createStream with transaction 0")
	}
}
