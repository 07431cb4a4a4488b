package rtmfp

import (
	"crypto/rand"
	"os"
	"runtime"
	"runtime/pprof"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"nimbus/rtmfp/crypto"
	"nimbus/rtmfp/wire"
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

// randomStaticCert is a Flash-style certificate with a random public value
// that passes validation: the responder cannot tell it from a real key, and
// making one costs no modular exponentiation.
func randomStaticCert(b testing.TB) []byte {
	for {
		var pub [128]byte
		rand.Read(pub[:])
		pub[0] |= 0x40
		pub[0] &= 0x7f
		if crypto.Group2.ValidatePublic(pub[:]) == nil {
			return wire.AppendStaticKeyOption(nil, 2, pub[:])
		}
	}
}

// keyingDriver plays many Flash clients against a responder with
// precomputed IIKeyings, so that the responder's work alone is measured.
type keyingDriver struct {
	peers   []*rawPeer
	cookies [][]byte
	certs   [][]byte
	skic    []byte
	nextSID atomic.Uint32
	nextKey atomic.Uint32
}

func newKeyingDriver(b testing.TB, srv *Endpoint, sockets, certs int) *keyingDriver {
	d := &keyingDriver{skic: unhex(b, "021d02410e"+capSKICRand+"031a020a021e02")}
	d.nextSID.Store(0x01000000)
	for range sockets {
		p := newRawPeer(b, srv.LocalAddr())
		d.peers = append(d.peers, p)
		d.cookies = append(d.cookies, p.cookieFor("rtmfp://localhost/bench"))
	}
	for range certs {
		d.certs = append(d.certs, randomStaticCert(b))
	}
	return d
}

// run completes n handshakes with window keyings outstanding per socket.
func (d *keyingDriver) run(b testing.TB, n, window int) {
	var done atomic.Int64
	var wg sync.WaitGroup
	for i, p := range d.peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			send := func() {
				sid := d.nextSID.Add(1)
				cert := d.certs[int(d.nextKey.Add(1))%len(d.certs)]
				body := wire.NewHeader(wire.ModeStartup, 1, 0, false).Append(nil)
				body = wire.IIKeying{InitiatorSID: sid, Cookie: d.cookies[i], Certificate: cert, SKIC: d.skic, Signature: []byte{'X'}}.Append(body)
				p.send(p.key.Seal(nil, 0, body))
			}
			for range window {
				send()
			}
			for done.Load() < int64(n) {
				pkt := p.recv(200 * time.Millisecond)
				if pkt == nil {
					send() // a keying was dropped: keep the window full
					continue
				}
				if _, err := p.key.Open(pkt); err != nil {
					continue // a session packet (0x4c of a replaced session)
				}
				if done.Add(1) < int64(n) {
					send()
				}
			}
		}()
	}
	wg.Wait()
}

// BenchmarkResponderHandshake measures complete responder handshakes per
// second (cookie check, DH, key derivation, session creation, RIKeying),
// with a fresh ephemeral key per handshake (two modular exponentiations)
// and with one reused key pair (one).
func BenchmarkResponderHandshake(b *testing.B) {
	for _, reuse := range []time.Duration{0, time.Hour} {
		name := "fresh-key"
		if reuse > 0 {
			name = "reused-key"
		}
		b.Run(name, func(b *testing.B) {
			srv, _ := listenServer(b, Config{MaxConcurrentDH: 64, HelloRate: 1e9, HelloBurst: 1e9, KeypairReuse: reuse,
				testHooks: &testHooks{closeWait: time.Millisecond}})
			d := newKeyingDriver(b, srv, 4, 1024)
			b.ResetTimer()
			start := time.Now()
			d.run(b, b.N, 4)
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "handshakes/s")
		})
	}
}

// BenchmarkIdleSessionMemory opens sessions to a server endpoint and
// measures the heap they hold after a GC. "server" counts the responder's
// sessions alone (precomputed keyings); "pair" dials from client
// endpoints in the same process and counts both ends.
func BenchmarkIdleSessionMemory(b *testing.B) {
	const n = 10000
	b.Run("server", func(b *testing.B) {
		for range b.N {
			srv, err := Listen("udp4", "127.0.0.1:0", Config{Server: true, Handler: nopHandler{}, Logger: testLogger(),
				MaxConcurrentDH: 64, HelloRate: 1e9, HelloBurst: 1e9, Keepalive: time.Hour, IdleTimeout: 2 * time.Hour,
				KeypairReuse: time.Hour, testHooks: &testHooks{closeWait: time.Millisecond}})
			if err != nil {
				b.Fatal(err)
			}
			d := newKeyingDriver(b, srv, 4, n)
			before := heapInUse()
			d.run(b, n, 4)
			waitFor(b, time.Minute, "sessions", func() bool { return srv.Stats().SessionsActive >= n-8 })
			after := heapInUse()
			if path := os.Getenv("RTMFP_HEAPPROFILE"); path != "" {
				if f, err := os.Create(path); err == nil {
					pprof.WriteHeapProfile(f)
					f.Close()
				}
			}
			active := srv.Stats().SessionsActive
			b.ReportMetric(float64(after-before)/float64(active), "bytes/session")
			srv.Close()
		}
	})
	b.Run("pair", func(b *testing.B) {
		const clients = 64
		for range b.N {
			srv, err := Listen("udp4", "127.0.0.1:0", Config{Server: true, Handler: nopHandler{}, Logger: testLogger(),
				MaxConcurrentDH: 64, Keepalive: time.Hour, IdleTimeout: 2 * time.Hour,
				KeypairReuse: time.Hour, testHooks: &testHooks{closeWait: time.Millisecond}})
			if err != nil {
				b.Fatal(err)
			}
			var eps []*Endpoint
			for range clients {
				// One session per client endpoint and server: a second
				// keying with the same certificate from the same address
				// would replace the first. Each client therefore gets its
				// own identity per dial.
				e, err := Listen("udp4", "127.0.0.1:0", Config{Loops: 1, Handler: nopHandler{}, Logger: testLogger(), Keepalive: time.Hour, IdleTimeout: 2 * time.Hour})
				if err != nil {
					b.Fatal(err)
				}
				eps = append(eps, e)
			}
			before := heapInUse()
			var wg sync.WaitGroup
			for _, e := range eps {
				wg.Add(1)
				go func() {
					defer wg.Done()
					dial(b, e, srv)
				}()
			}
			wg.Wait()
			after := heapInUse()
			b.ReportMetric(float64(after-before)/float64(clients), "bytes/pair")
			for _, e := range eps {
				e.Close()
			}
			srv.Close()
		}
	})
}

func heapInUse() uint64 {
	var m runtime.MemStats
	for range 3 {
		runtime.GC()
	}
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// nopHandler accepts sessions and ignores their events.
type nopHandler struct{}

func (nopHandler) NewSession(*Session) SessionHandler { return nil }
func (nopHandler) Rendezvous(RendezvousRequest)       {}
func (nopHandler) Hello(HelloRequest) bool            { return false }
