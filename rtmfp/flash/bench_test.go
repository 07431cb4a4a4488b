package flash

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"nimbus/core"
	"nimbus/rtmfp/flash/message"
)

// BenchmarkRelay measures media relayed by the server from one publisher to
// N players over loopback: one op is one 1 KB video message delivered to
// every player (reported as msgs/s delivered in total).
func BenchmarkRelay(b *testing.B) {
	for _, players := range []int{1, 10} {
		b.Run(fmt.Sprintf("players=%d", players), func(b *testing.B) {
			ts := startServer(b, &app{}, func(c *Config, _ *core.Options) {
				c.Transport.HelloRate, c.Transport.HelloBurst = 1000, 1000
				c.VideoDeadline = time.Minute // measure throughput, not the drop policy
				c.VideoQueueLimit = 64 << 20
			})
			ctx := ctxTimeout(b, 5*time.Minute)
			pc := ts.mustDial("live")
			pub, err := pc.NewStream(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if err := pub.Publish(ctx, "cam"); err != nil {
				b.Fatal(err)
			}
			subs := make([]*Stream, players)
			for i := range subs {
				c := ts.mustDial("live")
				if subs[i], err = c.NewStream(ctx); err != nil {
					b.Fatal(err)
				}
				if err := subs[i].Play(ctx, "cam"); err != nil {
					b.Fatal(err)
				}
			}
			frame := append([]byte{0x17, 0x01}, bytes.Repeat([]byte{1}, 1022)...)
			b.SetBytes(int64(len(frame) * players))
			b.ResetTimer()
			var wg sync.WaitGroup
			for _, st := range subs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for n := 0; n < b.N; {
						p, err := st.Receive(ctx)
						if err != nil {
							b.Error(err)
							return
						}
						if p.Type == message.TypeVideo {
							n++
						}
					}
				}()
			}
			// Pace the publisher on what the players consume so that no
			// queue overflows: at most 256 messages in flight.
			for i := 0; i < b.N; i++ {
				for pub.flow.Buffered() > 256*len(frame) {
					time.Sleep(50 * time.Microsecond)
				}
				if err := pub.WriteVideo(uint32(i), frame); err != nil {
					b.Fatal(err)
				}
			}
			wg.Wait()
			b.ReportMetric(float64(b.N*players)/b.Elapsed().Seconds(), "msgs/s")
		})
	}
}
