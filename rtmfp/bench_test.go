package rtmfp

import (
	"testing"
	"time"
)

// BenchmarkFlowThroughput measures one flow on loopback: b.N messages of
// 1100 bytes (one fragment each).
func BenchmarkFlowThroughput(b *testing.B) {
	srv, cli, sh, _ := listenPair(b, Config{Loops: 1}, Config{Loops: 1})
	cs := dial(b, cli, srv)
	waitFor(b, 5*time.Second, "server session", func() bool { return sh.count() == 1 })
	_, sr := sh.session(0)
	sr.mu.Lock()
	sr.keep = false
	sr.mu.Unlock()
	f, err := cs.OpenFlow([]byte("bench"), 0)
	if err != nil {
		b.Fatal(err)
	}
	msg := make([]byte, 1100)
	b.SetBytes(int64(len(msg)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for {
			if err := f.Write(msg); err == nil {
				break
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	waitFor(b, time.Minute, "delivery", func() bool { m, _ := sr.totals(); return m >= b.N })
}
