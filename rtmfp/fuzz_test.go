package rtmfp

import (
	"crypto/sha256"
	"net/netip"
	"strings"
	"testing"
	"time"

	"nimbus/rtmfp/crypto"
	"nimbus/rtmfp/internal/simnet"
	"nimbus/rtmfp/wire"
)

// fuzzEndpoint is a server endpoint on an in-memory network whose answers
// go nowhere.
func fuzzEndpoint(t testing.TB, cfg Config) *Endpoint {
	n := simnet.New(simnet.Link{}, 1)
	c, err := n.Listen(netip.MustParseAddrPort("10.0.0.1:1935"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Handler = newTestHandler()
	cfg.Logger = testLogger()
	cfg.HelloRate, cfg.HelloBurst = 1e9, 1e9
	cfg.testHooks = &testHooks{closeWait: time.Millisecond}
	e, err := NewEndpoint(c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// FuzzStartupPacket feeds arbitrary plaintext bodies, sealed with the
// default key, to the handshake path (what the socket reader does with
// SSID 0 packets).
func FuzzStartupPacket(f *testing.F) {
	f.Add(unhex(f, "0b1e6030002b1a190a72746d66703a2f2f3139322e3136382e3133372e3138332f2175b73f525fa0dd1f75ae339a706cc3"))
	f.Add(unhex(f, strings.Replace(capIIKeyingBody, "%COOKIE%", capCookie, 1)))
	f.Add(unhex(f, "0b644970009f10"+capTag+"40"+capCookie+"010a410e"+capCertRand+"02150202150502150e"))
	f.Add(unhex(f, "0b0001710013102175b73f525fa0dd1f75ae339a706cc3020a000001078f"))
	f.Add([]byte{0x0b, 0, 0, 0x30, 0, 3, 2, 0x0a, 0})
	key, _ := crypto.NewDefaultPacketKey()
	e := fuzzEndpoint(f, Config{Server: true, AcceptPeers: true, Loops: 1})
	from := netip.MustParseAddrPort("10.0.0.2:5000")
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) > maxDatagram-32 {
			return
		}
		pkt := key.Seal(nil, 0, body)
		e.onStartupPacket(time.Now(), from, pkt)
	})
}

// fuzzSession builds a session on a loop that is not running, so that the
// fuzz function can drive it directly.
func fuzzSession(t testing.TB, e *Endpoint) (*Session, *loop) {
	l, err := newLoop(e, 0)
	if err != nil {
		t.Fatal(err)
	}
	l.now = time.Now()
	keys := crypto.DeriveSessionKeys([]byte("secret"), []byte("near"), []byte("far"))
	c, err := crypto.NewSessionCipher(&keys, crypto.Mode{})
	if err != nil {
		t.Fatal(err)
	}
	s := newSession(e, l, false, 7, netip.MustParseAddrPort("10.0.0.2:5000"), c, sha256.Sum256(nil), l.now)
	s.id = 1
	s.handler = newRecorder(s)
	l.sessions[1] = s
	// A send flow with data in flight, for acks and exceptions to act on.
	s.sendFlows = map[uint64]*SendFlow{}
	for id := uint64(1); id <= 2; id++ {
		f := &SendFlow{s: s, id: id, farWindow: initialFarWindow, options: wire.AppendMetadataOption(nil, []byte("TC"))}
		s.sendFlows[id] = f
		s.sendFlowsN.Add(1)
		for _, n := range []int{10, 3000, 500} {
			f.queued.Add(int64(n))
			f.enqueue(l.now, make([]byte, n), time.Duration(id-1)*time.Second)
		}
	}
	s.flush(l.now)
	l.out, l.arena = l.out[:0], l.arena[:0]
	return s, l
}

// FuzzSessionChunks feeds arbitrary chunk sequences to an open session,
// then lets it send and run its timers: it must never panic, whatever the
// flow IDs, sequence numbers, acks and options say.
func FuzzSessionChunks(f *testing.F) {
	f.Add(unhex(f, "1000fd8002010105005443040000"+capConnectMsg))
	f.Add(unhex(f, "51000402ff7f01"+"510006020a0003010002"+"51000b017f00ffffffffffffffff7f00"))
	f.Add(unhex(f, "10000a800205050300414200aa"+"11000410bbcc"+"110003309900"))
	f.Add(unhex(f, "10000680010202030058"+"5e00020100"+"0c0000"+"4c0000"))
	f.Add(unhex(f, "010003616263"+"410003616263"+"18000102"+"500006010a0003ff0f"))
	f.Add(unhex(f, "0f003a22210f"+strings.Repeat("00", 32)+"020a00000213882175b73f525fa0dd1f75ae339a706cc3"))
	e := fuzzEndpoint(f, Config{Server: true, Loops: 1, MaxMessageSize: 1 << 16, MaxFlowsPerSession: 8})
	f.Fuzz(func(t *testing.T, chunks []byte) {
		s, l := fuzzSession(t, e)
		now := l.now
		for i := 0; i < 3 && s.state < stateLinger; i++ {
			s.onChunks(now, s.addr, chunks)
			s.flush(now)
			l.out, l.arena = l.out[:0], l.arena[:0]
			now = now.Add(300 * time.Millisecond)
			l.now = now
			s.tick(now)
		}
		for _, rf := range s.recvFlows {
			if rf.buffered < 0 || rf.buffered > s.recvLimit()+1<<16 {
				t.Fatalf("flow %d buffers %d bytes", rf.id, rf.buffered)
			}
		}
		for _, sf := range s.sendFlows {
			if sf.queued.Load() < 0 || sf.outstanding < -1<<20 {
				t.Fatalf("flow %d: queued %d outstanding %d", sf.id, sf.queued.Load(), sf.outstanding)
			}
		}
		if s.cc.inflight < 0 {
			t.Fatal("negative bytes in flight")
		}
	})
}

var _ = wire.MaxPacketSize
