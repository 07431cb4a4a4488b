package core

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"nimbus/core/amf"
)

// recorder collects what core asks protocol objects to do. Core calls them
// on its loop while the test goroutine reads them, hence the mutex.
type recorder struct {
	mu  sync.Mutex
	log []string
}

func (r *recorder) add(format string, args ...any) {
	r.mu.Lock()
	r.log = append(r.log, fmt.Sprintf(format, args...))
	r.mu.Unlock()
}

func (r *recorder) has(entry string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range r.log {
		if e == entry {
			return true
		}
	}
	return false
}

func (r *recorder) count(entry string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, e := range r.log {
		if e == entry {
			n++
		}
	}
	return n
}

type fakeConn struct {
	rec  *recorder
	name string
	addr netip.AddrPort
}

func (f *fakeConn) Protocol() string                 { return "TEST" }
func (f *fakeConn) Address() netip.AddrPort          { return f.addr }
func (f *fakeConn) Ping() time.Duration              { return 0 }
func (f *fakeConn) LastReception() time.Time         { return time.Time{} }
func (f *fakeConn) Accept(c *Client, _ []amf.Member) { f.rec.add("%s accept", f.name) }
func (f *fakeConn) Reject(code, desc string)         { f.rec.add("%s reject %s %s", f.name, code, desc) }
func (f *fakeConn) Writer() Writer                   { return &fakeWriter{rec: f.rec, name: f.name} }
func (f *fakeConn) Close()                           { f.rec.add("%s close", f.name) }

type fakeWriter struct {
	rec  *recorder
	name string
}

func (w *fakeWriter) WriteInvocation(name string, args ...any) error {
	w.rec.add("%s invoke %s %v", w.name, name, args)
	return nil
}
func (w *fakeWriter) WriteResult(tid float64, args ...any) error {
	w.rec.add("%s result %v %v", w.name, tid, args)
	return nil
}
func (w *fakeWriter) WriteError(tid float64, code, desc string) error {
	w.rec.add("%s error %v %s %s", w.name, tid, code, desc)
	return nil
}
func (w *fakeWriter) WriteStatus(level, code, desc string, _ ...amf.Member) error {
	w.rec.add("%s status %s %s", w.name, code, desc)
	return nil
}
func (w *fakeWriter) WriteData(string, ...any) error { return nil }
func (w *fakeWriter) WriteRaw([]byte) error          { return nil }
func (w *fakeWriter) NewWriter() (Writer, error)     { return w, nil }
func (w *fakeWriter) Reliable() bool                 { return true }
func (w *fakeWriter) SetReliable(bool)               {}
func (w *fakeWriter) Flush()                         {}
func (w *fakeWriter) Close()                         {}
func (w *fakeWriter) QoS() QoS                       { return QoS{} }

type fakeSub struct {
	rec  *recorder
	name string
}

func (s *fakeSub) Started(*Listener)            { s.rec.add("%s started", s.name) }
func (s *fakeSub) Failed(code, desc string)     { s.rec.add("%s failed %s %s", s.name, code, desc) }
func (s *fakeSub) PublishNotify(*Publication)   { s.rec.add("%s publishnotify", s.name) }
func (s *fakeSub) UnpublishNotify(*Publication) { s.rec.add("%s unpublishnotify", s.name) }
func (s *fakeSub) Flush()                       {}
func (s *fakeSub) WriteMedia(pkt *MediaPacket) {
	s.rec.add("%s media %s %d", s.name, pkt.Kind, pkt.Time)
}

type fakePub struct {
	rec  *recorder
	name string
}

func (p *fakePub) Started(*Publication)      { p.rec.add("%s pubstarted", p.name) }
func (p *fakePub) Failed(code, desc string)  { p.rec.add("%s pubfailed %s %s", p.name, code, desc) }
func (p *fakePub) Stopped(code, desc string) { p.rec.add("%s pubstopped %s", p.name, code) }

type fakeGroupConn struct {
	rec  *recorder
	name string
}

func (g *fakeGroupConn) WriteNeighbour(id PeerID) { g.rec.add("%s neighbour %x", g.name, id[:1]) }
func (g *fakeGroupConn) Close()                   {}

// testEvents is a small Go application: it rejects clients whose first
// connect argument is "reject", has an "echo" RPC and a failing "boom" RPC,
// and records disconnections.
type testEvents struct {
	NopEvents
	rec *recorder
}

func (e *testEvents) OnConnection(c *Client, args []any) ([]amf.Member, error) {
	if len(args) > 0 && args[0] == "reject" {
		return nil, errors.New("go away")
	}
	if c.Path == "/missing" {
		return nil, ErrInvalidApp
	}
	return nil, nil
}

func (e *testEvents) OnDisconnection(c *Client) { e.rec.add("disconnected %x", c.ID[:1]) }

func (e *testEvents) OnCall(c *Client, call *Call) ([]any, error) {
	switch call.Name {
	case "echo":
		return call.Args, nil
	case "boom":
		return nil, errors.New("main.lua:3: boom")
	}
	return e.NopEvents.OnCall(c, call)
}

func startServer(t *testing.T, ev Events) *Server {
	t.Helper()
	s := NewServer(Options{ManageInterval: time.Hour}, ev)
	ctx, cancel := context.WithCancel(context.Background())
	go s.Run(ctx)
	t.Cleanup(func() { cancel(); <-s.Done() })
	return s
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// onLoop runs fn on the core loop and waits for it.
func onLoop(t *testing.T, s *Server, fn func()) {
	t.Helper()
	done := make(chan struct{})
	if !s.Post(func() { fn(); close(done) }) {
		t.Fatal("post refused")
	}
	<-done
}

func connect(t *testing.T, s *Server, rec *recorder, name string, id byte, url string, args ...any) *Client {
	t.Helper()
	conn := &fakeConn{rec: rec, name: name, addr: netip.MustParseAddrPort(fmt.Sprintf("192.0.2.%d:1000", id))}
	c, err := s.Connect(conn, &ConnectRequest{Protocol: "TEST", PeerID: PeerID{id}, Address: conn.addr, URL: url, Args: args})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSplitURL(t *testing.T) {
	for _, tc := range []struct{ in, path, query string }{
		{"rtmfp://host/", "", ""},
		{"rtmfp://host", "", ""},
		{"rtmfp://host:1935/app", "/app", ""},
		{"rtmfp://host/a/b/?x=1&y=2", "/a/b", "x=1&y=2"},
		{"rtmfp://host//a//b", "/a/b", ""},
	} {
		p, q := splitURL(tc.in)
		if p != tc.path || q != tc.query {
			t.Errorf("splitURL(%q) = %q, %q; want %q, %q", tc.in, p, q, tc.path, tc.query)
		}
	}
}

func TestConnectAcceptRejectAndCalls(t *testing.T) {
	rec := &recorder{}
	s := startServer(t, &testEvents{rec: rec})

	a := connect(t, s, rec, "a", 1, "rtmfp://h/app?user=bob%20b")
	connect(t, s, rec, "b", 2, "rtmfp://h/app", "reject")
	connect(t, s, rec, "c", 3, "rtmfp://h/missing")
	waitFor(t, "answers", func() bool {
		return rec.has("a accept") && rec.has("b reject NetConnection.Connect.Rejected go away") &&
			rec.has("c reject NetConnection.Connect.InvalidApp Application /missing doesn't exist")
	})
	onLoop(t, s, func() {
		if v, _ := a.Property("user"); v != "bob b" {
			t.Errorf("query property user = %v", v)
		}
		if s.ClientCount() != 1 {
			t.Errorf("clients = %d, want 1", s.ClientCount())
		}
	})

	s.Call(a, &Call{Name: "echo", TID: 2, Args: []any{"hi", 1.0}})
	s.Call(a, &Call{Name: "boom", TID: 3})
	s.Call(a, &Call{Name: "nope", TID: 4})
	waitFor(t, "call answers", func() bool {
		return rec.has("a result 2 [hi 1]") &&
			rec.has("a error 3 NetConnection.Call.Failed main.lua:3: boom") &&
			rec.has("a error 4 NetConnection.Call.Failed Method client 'nope' not found in application /app")
	})

	s.Disconnect(a)
	s.Disconnect(a)
	waitFor(t, "disconnection", func() bool { return rec.has("disconnected 01") })
	onLoop(t, s, func() {
		if s.ClientCount() != 0 {
			t.Errorf("clients after disconnect = %d", s.ClientCount())
		}
	})
	if n := rec.count("disconnected 01"); n != 1 {
		t.Fatalf("OnDisconnection called %d times", n)
	}
}

func TestPublishPlayRelayAndLateJoiner(t *testing.T) {
	rec := &recorder{}
	s := startServer(t, &testEvents{rec: rec})
	pub := connect(t, s, rec, "pub", 1, "rtmfp://h/live")
	early := connect(t, s, rec, "early", 2, "rtmfp://h/live")
	late := connect(t, s, rec, "late", 3, "rtmfp://h/live")
	other := connect(t, s, rec, "other", 4, "rtmfp://h/live")
	waitFor(t, "accepts", func() bool { return rec.has("other accept") })

	// A listener may wait before the publisher starts.
	s.Subscribe(early, "cam?token=x", &fakeSub{rec: rec, name: "early"})
	waitFor(t, "early started", func() bool { return rec.has("early started") })

	h, _ := s.Publish(pub, "cam", &fakePub{rec: rec, name: "pub"})
	waitFor(t, "publish", func() bool { return rec.has("pub pubstarted") && rec.has("early publishnotify") })
	s.Publish(other, "cam", &fakePub{rec: rec, name: "other"})
	waitFor(t, "bad name", func() bool { return rec.has("other pubfailed NetStream.Publish.BadName cam is already publishing") })

	aacConfig := &MediaPacket{Kind: MediaAudio, Time: 0, Payload: []byte{0xaf, 0x00, 0x12, 0x10}}
	avcConfig := &MediaPacket{Kind: MediaVideo, Time: 0, Payload: []byte{0x17, 0x00, 0, 0, 0}}
	s.PushMedia(h, aacConfig)
	s.PushMedia(h, avcConfig)
	for i := 1; i <= 10; i++ {
		frame := byte(0x27) // inter frame
		if i == 5 {
			frame = 0x17 // keyframe
		}
		s.PushMedia(h, &MediaPacket{Kind: MediaVideo, Time: uint32(i * 10), Payload: []byte{frame, 1, 0, 0, 0}})
		s.PushMedia(h, &MediaPacket{Kind: MediaAudio, Time: uint32(i * 10), Payload: []byte{0xaf, 1, 0}})
	}
	waitFor(t, "early gets media", func() bool { return rec.has("early media audio 100") })
	if rec.has("early media video 10") {
		t.Error("video before the first keyframe was delivered")
	}
	if !rec.has("early media video 50") {
		t.Error("keyframe not delivered")
	}

	s.Subscribe(late, "cam", &fakeSub{rec: rec, name: "late"})
	// Started is reported first, then the catch-up packets, on the loop.
	waitFor(t, "late joiner's codec configurations", func() bool {
		return rec.has("late started") && rec.has("late media audio 0") && rec.has("late media video 0")
	})

	s.Unpublish(h)
	waitFor(t, "unpublish notify", func() bool {
		return rec.has("early unpublishnotify") && rec.has("late unpublishnotify")
	})
	s.Disconnect(early)
	s.Disconnect(late)
	s.Disconnect(pub)
	waitFor(t, "all gone", func() bool { return rec.has("disconnected 03") })
	onLoop(t, s, func() {
		if s.Publication("cam") != nil {
			t.Error("publication kept after everybody left")
		}
	})
}

func TestGroupNeighboursAndLeave(t *testing.T) {
	rec := &recorder{}
	s := startServer(t, &testEvents{rec: rec})
	gid := PeerID{0xee}
	var members []*Membership
	for i := 1; i <= 10; i++ {
		c := connect(t, s, rec, fmt.Sprint("m", i), byte(i), "rtmfp://h/g")
		m, err := s.JoinGroup(c, gid, &fakeGroupConn{rec: rec, name: fmt.Sprint("m", i)})
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, m)
	}
	onLoop(t, s, func() {
		g := s.Group(gid)
		if g == nil || g.Size() != 10 {
			t.Fatalf("group size wrong: %v", g)
		}
	})
	// Every member but the first learned at least one neighbour, and nobody
	// learned more than GroupNeighbours per join.
	for i := 2; i <= 10; i++ {
		n := 0
		for j := 1; j <= 10; j++ {
			if i != j && rec.has(fmt.Sprintf("m%d neighbour %02x", i, j)) {
				n++
			}
		}
		if n == 0 {
			t.Errorf("m%d learned no neighbour", i)
		}
	}
	s.LeaveGroup(members[0])
	onLoop(t, s, func() {
		if g := s.Group(gid); g.Size() != 9 {
			t.Errorf("size after leave = %d", g.Size())
		}
	})
}

func TestIntroduction(t *testing.T) {
	rec := &recorder{}
	s := startServer(t, &testEvents{rec: rec})
	target := connect(t, s, rec, "t", 1, "rtmfp://h/chat")
	init := connect(t, s, rec, "i", 2, "rtmfp://h/chat")
	waitFor(t, "accepts", func() bool { return rec.has("i accept") })
	s.SetPeerAddresses(target, []netip.AddrPort{
		netip.MustParseAddrPort("10.0.0.5:1000"), netip.MustParseAddrPort("10.0.0.5:1000"),
		netip.MustParseAddrPort("224.0.0.1:5"), netip.MustParseAddrPort("0.0.0.0:9"),
	})
	got := make(chan Introduction, 1)
	s.Introduce(IntroductionRequest{From: init.address, Target: target.ID, Attempt: 1}, func(in Introduction) { got <- in })
	in := <-got
	if in.Target != target || len(in.Redirect) != 2 || in.Redirect[0].Origin != OriginObserved ||
		in.Redirect[1].AddrPort != netip.MustParseAddrPort("10.0.0.5:1000") || in.Forward[0].AddrPort != init.address {
		t.Fatalf("introduction = %+v", in)
	}
	s.Introduce(IntroductionRequest{From: init.address, Target: PeerID{9}}, func(in Introduction) { got <- in })
	if in := <-got; in.Target != nil || len(in.Redirect) != 0 {
		t.Fatalf("unknown target answered: %+v", in)
	}
}

func TestIntroductionRateLimit(t *testing.T) {
	rec := &recorder{}
	s := NewServer(Options{ManageInterval: time.Hour, IntroductionRate: 1, IntroductionBurst: 3}, &testEvents{rec: rec})
	ctx, cancel := context.WithCancel(context.Background())
	go s.Run(ctx)
	defer func() { cancel(); <-s.Done() }()
	target := connect(t, s, rec, "t", 1, "rtmfp://h/")
	waitFor(t, "accept", func() bool { return rec.has("t accept") })
	refused := 0
	for range 10 {
		got := make(chan Introduction, 1)
		s.Introduce(IntroductionRequest{From: netip.MustParseAddrPort("192.0.2.77:5"), Target: target.ID}, func(in Introduction) { got <- in })
		if (<-got).Refused {
			refused++
		}
	}
	if refused < 6 {
		t.Fatalf("only %d of 10 rapid introductions refused with burst 3", refused)
	}
}

func TestQueueOverflowRefusesAndCounts(t *testing.T) {
	s := NewServer(Options{QueueLength: 2}, nil) // not running: nothing drains
	for range 5 {
		s.Post(func() {})
	}
	if got := s.Stats().Refused.Load(); got != 3 {
		t.Fatalf("refused = %d, want 3", got)
	}
}

func TestShutdownDisconnectsEveryone(t *testing.T) {
	rec := &recorder{}
	s := NewServer(Options{ManageInterval: time.Hour}, &testEvents{rec: rec})
	ctx, cancel := context.WithCancel(context.Background())
	go s.Run(ctx)
	connect(t, s, rec, "a", 1, "rtmfp://h/")
	connect(t, s, rec, "b", 2, "rtmfp://h/")
	waitFor(t, "accepts", func() bool { return rec.has("b accept") })
	cancel()
	<-s.Done()
	if !rec.has("a close") || !rec.has("disconnected 01") || !rec.has("disconnected 02") {
		t.Fatalf("shutdown log: %v", rec.log)
	}
}
