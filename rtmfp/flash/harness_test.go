package flash

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"nimbus/core"
	"nimbus/core/amf"
	"nimbus/rtmfp"
)

// testLogger discards logs unless NIMBUS_LOG=debug.
func testLogger() *slog.Logger {
	if os.Getenv("NIMBUS_LOG") == "debug" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// app is a core.Events for tests: NopEvents plus optional hooks.
type app struct {
	core.NopEvents
	connection func(c *core.Client, args []any) ([]amf.Member, error)
	call       func(c *core.Client, call *core.Call) ([]any, error)
	publish    func(c *core.Client, p *core.Publication) error
	subscribe  func(c *core.Client, l *core.Listener) error
	introduce  func(initiator *core.Client, target *core.Client) bool
	unknown    func(target core.PeerID) []netip.AddrPort
	handshake  func(req *core.HandshakeRequest) core.HandshakeResult

	mu        sync.Mutex
	events    []string
	connected map[core.PeerID]*core.Client
}

func (a *app) record(format string, args ...any) {
	a.mu.Lock()
	a.events = append(a.events, fmt.Sprintf(format, args...))
	a.mu.Unlock()
}

func (a *app) count(prefix string) int {
	a.mu.Lock()
	defer a.mu.Unlock()
	n := 0
	for _, e := range a.events {
		if strings.HasPrefix(e, prefix) {
			n++
		}
	}
	return n
}

func (a *app) OnConnection(c *core.Client, args []any) ([]amf.Member, error) {
	a.record("connect %s", c.Path)
	if a.connection != nil {
		return a.connection(c, args)
	}
	return nil, nil
}

func (a *app) OnDisconnection(c *core.Client) { a.record("disconnect %s", c.HexID()) }

func (a *app) OnCall(c *core.Client, call *core.Call) ([]any, error) {
	if a.call != nil {
		return a.call(c, call)
	}
	return a.NopEvents.OnCall(c, call)
}

func (a *app) OnPublish(c *core.Client, p *core.Publication) error {
	a.record("publish %s", p.Name)
	if a.publish != nil {
		return a.publish(c, p)
	}
	return nil
}

func (a *app) OnUnpublish(c *core.Client, p *core.Publication) { a.record("unpublish %s", p.Name) }

func (a *app) OnSubscribe(c *core.Client, l *core.Listener) error {
	a.record("subscribe %s", l.Publication.Name)
	if a.subscribe != nil {
		return a.subscribe(c, l)
	}
	return nil
}

func (a *app) OnUnsubscribe(c *core.Client, l *core.Listener) {
	a.record("unsubscribe %s", l.Publication.Name)
}

func (a *app) OnJoinGroup(c *core.Client, g *core.Group)   { a.record("join %s", c.HexID()) }
func (a *app) OnUnjoinGroup(c *core.Client, g *core.Group) { a.record("leave %s", c.HexID()) }

func (a *app) OnIntroduction(initiator *core.Client, from netip.AddrPort, target *core.Client) bool {
	a.record("introduce")
	if a.introduce != nil {
		return a.introduce(initiator, target)
	}
	return true
}

func (a *app) OnRendezVousUnknown(from netip.AddrPort, target core.PeerID) []netip.AddrPort {
	a.record("unknown peer")
	if a.unknown != nil {
		return a.unknown(target)
	}
	return nil
}

func (a *app) OnHandshake(req *core.HandshakeRequest) core.HandshakeResult {
	a.record("handshake %s", req.Path)
	if a.handshake != nil {
		return a.handshake(req)
	}
	return core.HandshakeResult{}
}

// testServer is a core loop and a Flash server on 127.0.0.1.
type testServer struct {
	t    testing.TB
	core *core.Server
	srv  *Server
	url  string
}

func startServer(t testing.TB, events core.Events, configure func(*Config, *core.Options)) *testServer {
	t.Helper()
	opts := core.Options{Logger: testLogger()}
	cfg := Config{
		Listen:    []string{"127.0.0.1:0"},
		Transport: rtmfp.Config{Loops: 2},
		Logger:    testLogger(),
	}
	if configure != nil {
		configure(&cfg, &opts)
	}
	cs := core.NewServer(opts, events)
	ctx, cancel := context.WithCancel(context.Background())
	go cs.Run(ctx)
	srv, err := NewServer(cs, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	ts := &testServer{t: t, core: cs, srv: srv, url: "rtmfp://" + srv.Addrs()[0].String()}
	t.Cleanup(func() {
		stopCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
		defer stop()
		if err := srv.Stop(stopCtx); err != nil {
			t.Errorf("stop: %v", err)
		}
		cancel()
		<-cs.Done()
	})
	return ts
}

// dial connects a client to app on the test server.
func (ts *testServer) dial(app string, args ...any) (*Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := Dialer{
		LocalAddr: "127.0.0.1:0",
		Transport: rtmfp.Config{Loops: 1},
		Logger:    testLogger(),
	}
	return d.Dial(ctx, ts.url+"/"+app, args...)
}

func (ts *testServer) mustDial(app string, args ...any) *Client {
	ts.t.Helper()
	c, err := ts.dial(app, args...)
	if err != nil {
		ts.t.Fatalf("dial %s: %v", app, err)
	}
	ts.t.Cleanup(func() { c.Close() })
	return c
}

// onLoop runs fn on the core loop and waits for it.
func (ts *testServer) onLoop(fn func()) {
	ts.t.Helper()
	done := make(chan struct{})
	if !ts.core.Post(func() { fn(); close(done) }) {
		ts.t.Fatal("core queue full")
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		ts.t.Fatal("core loop does not answer")
	}
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func ctxTimeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
