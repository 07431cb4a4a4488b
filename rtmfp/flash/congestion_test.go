package flash

import (
	"bytes"
	"testing"
	"time"

	"nimbus/core"
	"nimbus/rtmfp/flash/message"
)

// With a tiny video queue limit, a subscriber's video flow is "full" as
// soon as one frame waits: delta frames are then dropped, keyframes never
// (by this policy), and once a delta frame is dropped the rest of its group
// is dropped too, so the player never resumes on a delta frame.
func TestVideoDropsDeltaFramesFirst(t *testing.T) {
	ts := startServer(t, &app{}, func(c *Config, _ *core.Options) { c.VideoQueueLimit = 1 })
	ctx := ctxTimeout(t, 30*time.Second)
	pc := ts.mustDial("live")
	pub, err := pc.NewStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(ctx, "cam"); err != nil {
		t.Fatal(err)
	}
	sc := ts.mustDial("live")
	sub, err := sc.NewStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Play(ctx, "cam"); err != nil {
		t.Fatal(err)
	}
	const frames = 200 // 0, 10, ..., 200 are keyframes
	filler := bytes.Repeat([]byte{0x55}, 4000)
	for i := 0; i <= frames; i++ {
		if err := pub.WriteVideo(uint32(i), append(videoFrame(i), filler...)); err != nil {
			t.Fatal(err)
		}
	}
	var got []int
	for len(got) == 0 || got[len(got)-1] != frames {
		p, err := sub.Receive(ctx)
		if err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		if p.Type == message.TypeVideo {
			got = append(got, frameIndex(p.Payload))
		}
	}
	delivered := map[int]bool{}
	for _, i := range got {
		delivered[i] = true
	}
	for i := 0; i <= frames; i += 10 {
		if !delivered[i] {
			t.Errorf("keyframe %d dropped", i)
		}
	}
	for _, i := range got {
		if i%10 != 0 && !delivered[i-1] {
			t.Errorf("delta frame %d delivered after its predecessor was dropped", i)
		}
	}
	dropped := ts.srv.Stats().FramesDropped.Load()
	if dropped == 0 || int(dropped) != frames+1-len(got) {
		t.Fatalf("%d frames counted dropped, %d of %d delivered", dropped, len(got), frames+1)
	}
	t.Logf("%d of %d frames delivered", len(got), frames+1)
}
