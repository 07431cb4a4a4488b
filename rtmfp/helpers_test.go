package rtmfp

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"
)

// testLogger logs at debug level when RTMFP_DEBUG is set.
func testLogger() *slog.Logger {
	if os.Getenv("RTMFP_DEBUG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// testHandler is a Handler for tests: it records sessions and gives each a
// recorder.
type testHandler struct {
	mu         sync.Mutex
	sessions   []*Session
	recorders  map[*Session]*recorder
	rendezvous func(req RendezvousRequest)
	hello      func(req HelloRequest) bool
	onSession  func(s *Session, r *recorder)
}

func newTestHandler() *testHandler {
	return &testHandler{recorders: make(map[*Session]*recorder)}
}

func (h *testHandler) NewSession(s *Session) SessionHandler {
	r := newRecorder(s)
	h.mu.Lock()
	h.sessions = append(h.sessions, s)
	h.recorders[s] = r
	cb := h.onSession
	h.mu.Unlock()
	if cb != nil {
		cb(s, r)
	}
	return r
}

func (h *testHandler) Rendezvous(req RendezvousRequest) {
	h.mu.Lock()
	f := h.rendezvous
	h.mu.Unlock()
	if f != nil {
		f(req)
	}
}

func (h *testHandler) Hello(req HelloRequest) bool {
	h.mu.Lock()
	f := h.hello
	h.mu.Unlock()
	if f != nil {
		return f(req)
	}
	return false
}

func (h *testHandler) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.sessions)
}

func (h *testHandler) session(i int) (*Session, *recorder) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if i >= len(h.sessions) {
		return nil, nil
	}
	s := h.sessions[i]
	return s, h.recorders[s]
}

func (h *testHandler) recorderOf(s *Session) *recorder {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.recorders[s]
}

// recorder is a SessionHandler that keeps what it receives.
type recorder struct {
	s       *Session
	mu      sync.Mutex
	flows   []*RecvFlow
	msgs    map[uint64][][]byte
	hashes  map[uint64]*streamCheck
	ended   map[uint64]bool
	moves   []netip.AddrPort
	closed  bool
	err     error
	reject  func(f *RecvFlow) bool
	onMsg   func(f *RecvFlow, msg []byte)
	keep    bool // keep message copies
	nBytes  int
	nMsgs   int
	closeCh chan struct{}
}

func newRecorder(s *Session) *recorder {
	return &recorder{
		s: s, msgs: make(map[uint64][][]byte), hashes: make(map[uint64]*streamCheck),
		ended: make(map[uint64]bool), keep: true, closeCh: make(chan struct{}),
	}
}

func (r *recorder) OnFlow(f *RecvFlow) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.flows = append(r.flows, f)
	if r.reject != nil {
		return r.reject(f)
	}
	return true
}

func (r *recorder) OnMessage(f *RecvFlow, msg []byte) {
	r.mu.Lock()
	r.nBytes += len(msg)
	r.nMsgs++
	if r.keep {
		r.msgs[f.ID()] = append(r.msgs[f.ID()], bytes.Clone(msg))
	}
	if c := r.hashes[f.ID()]; c != nil {
		c.add(msg)
	}
	cb := r.onMsg
	r.mu.Unlock()
	if cb != nil {
		cb(f, msg)
	}
}

func (r *recorder) OnFlowEnd(f *RecvFlow) {
	r.mu.Lock()
	r.ended[f.ID()] = true
	r.mu.Unlock()
}

func (r *recorder) OnAddressChanged(old, new netip.AddrPort) {
	r.mu.Lock()
	r.moves = append(r.moves, new)
	r.mu.Unlock()
}

func (r *recorder) OnClosed(err error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		panic("OnClosed called twice")
	}
	r.closed = true
	r.err = err
	r.mu.Unlock()
	close(r.closeCh)
}

func (r *recorder) messages(flow uint64) [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.msgs[flow]...)
}

func (r *recorder) totals() (msgs, nbytes int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.nMsgs, r.nBytes
}

func (r *recorder) firstFlow() *RecvFlow {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.flows) == 0 {
		return nil
	}
	return r.flows[0]
}

func (r *recorder) isClosed() (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed, r.err
}

// streamCheck verifies a message stream against the generator.
type streamCheck struct {
	gen  *msgGen
	n    int
	bad  int
	last int
}

func (c *streamCheck) add(msg []byte) {
	want := c.gen.next()
	if !bytes.Equal(want, msg) {
		c.bad++
	}
	c.n++
}

// msgGen produces a deterministic sequence of messages of mixed sizes.
type msgGen struct {
	seed uint64
	i    int
}

var mixedSizes = []int{1, 17, 300, 1000, 1100, 1200, 2500, 4000, 9000, 30000, 65000, 200000}

func (g *msgGen) next() []byte {
	size := mixedSizes[g.i%len(mixedSizes)]
	b := make([]byte, size)
	x := g.seed + uint64(g.i)*0x9e3779b97f4a7c15
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	if len(b) >= 4 {
		b[0], b[1], b[2], b[3] = byte(g.i>>24), byte(g.i>>16), byte(g.i>>8), byte(g.i)
	}
	g.i++
	return b
}

// waitFor polls cond until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// listenPair starts a server and a client endpoint on 127.0.0.1.
func listenPair(t testing.TB, scfg, ccfg Config) (srv, cli *Endpoint, sh, ch *testHandler) {
	t.Helper()
	sh, ch = newTestHandler(), newTestHandler()
	if scfg.Handler == nil {
		scfg.Handler = sh
	}
	if ccfg.Handler == nil {
		ccfg.Handler = ch
	}
	scfg.Server = true
	if scfg.Logger == nil {
		scfg.Logger = testLogger()
	}
	if ccfg.Logger == nil {
		ccfg.Logger = testLogger()
	}
	var err error
	srv, err = Listen("udp4", "127.0.0.1:0", scfg)
	if err != nil {
		t.Fatal(err)
	}
	cli, err = Listen("udp4", "127.0.0.1:0", ccfg)
	if err != nil {
		srv.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cli.Close()
		srv.Close()
	})
	return srv, cli, sh, ch
}

func serverURL(e *Endpoint) string { return "rtmfp://" + e.LocalAddr().String() + "/app" }

func dial(t testing.TB, cli, srv *Endpoint) *Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s, err := cli.Dial(ctx, serverURL(srv))
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	return s
}

func mustAddrPort(t testing.TB, s string) netip.AddrPort {
	t.Helper()
	a, err := netip.ParseAddrPort(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
