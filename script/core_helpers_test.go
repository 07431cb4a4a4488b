package script

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"nimbus/core"
	"nimbus/core/amf"
)

// Fake protocol objects: core calls them on its loop, the test reads what
// they recorded from its own goroutine.

type wireLog struct {
	mu      sync.Mutex
	entries []string
}

func (w *wireLog) add(format string, args ...any) {
	w.mu.Lock()
	w.entries = append(w.entries, fmt.Sprintf(format, args...))
	w.mu.Unlock()
}

func (w *wireLog) find(sub string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range w.entries {
		if strings.Contains(e, sub) {
			return e
		}
	}
	return ""
}

func (w *wireLog) all() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return strings.Join(w.entries, "\n")
}

type fakeConn struct {
	log    *wireLog
	addr   netip.AddrPort
	writer *fakeWriter
}

func newFakeConn(port uint16) *fakeConn {
	l := &wireLog{}
	return &fakeConn{log: l, addr: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port),
		writer: &fakeWriter{log: l, name: "main", reliable: true}}
}

func (f *fakeConn) Protocol() string         { return "RTMFP" }
func (f *fakeConn) Address() netip.AddrPort  { return f.addr }
func (f *fakeConn) Ping() time.Duration      { return 42 * time.Millisecond }
func (f *fakeConn) LastReception() time.Time { return time.Now() }
func (f *fakeConn) Accept(c *core.Client, info []amf.Member) {
	f.log.add("accept %s", membersString(info))
}
func (f *fakeConn) Reject(code, desc string) { f.log.add("reject %s %s", code, desc) }
func (f *fakeConn) Writer() core.Writer      { return f.writer }
func (f *fakeConn) Close()                   { f.log.add("close") }

func membersString(ms []amf.Member) string {
	var parts []string
	for _, m := range ms {
		parts = append(parts, fmt.Sprintf("%s=%v", m.Key, m.Value))
	}
	return "{" + strings.Join(parts, ",") + "}"
}

type fakeWriter struct {
	log      *wireLog
	name     string
	reliable bool
	children int
}

func (w *fakeWriter) WriteInvocation(name string, args ...any) error {
	w.log.add("%s invoke %s %s", w.name, name, valuesString(args))
	return nil
}
func (w *fakeWriter) WriteResult(tid float64, args ...any) error {
	w.log.add("%s result %v %s", w.name, tid, valuesString(args))
	return nil
}
func (w *fakeWriter) WriteError(tid float64, code, desc string) error {
	w.log.add("%s error %v %s %s", w.name, tid, code, desc)
	return nil
}
func (w *fakeWriter) WriteStatus(level, code, desc string, extra ...amf.Member) error {
	w.log.add("%s status %s %s %s %s", w.name, level, code, desc, membersString(extra))
	return nil
}
func (w *fakeWriter) WriteData(name string, args ...any) error {
	w.log.add("%s data %s %s", w.name, name, valuesString(args))
	return nil
}
func (w *fakeWriter) WriteRaw(b []byte) error {
	w.log.add("%s raw %q", w.name, b)
	return nil
}
func (w *fakeWriter) NewWriter() (core.Writer, error) {
	w.children++
	return &fakeWriter{log: w.log, name: fmt.Sprintf("%s.%d", w.name, w.children), reliable: true}, nil
}
func (w *fakeWriter) Reliable() bool     { return w.reliable }
func (w *fakeWriter) SetReliable(b bool) { w.reliable = b; w.log.add("%s reliable %v", w.name, b) }
func (w *fakeWriter) Flush()             { w.log.add("%s flush", w.name) }
func (w *fakeWriter) Close()             { w.log.add("%s closed", w.name) }
func (w *fakeWriter) QoS() core.QoS {
	return core.QoS{LostRate: 0.25, ByteRate: 1000, Latency: 20 * time.Millisecond}
}

func valuesString(vs []any) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = valueString(v)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func valueString(v any) string {
	switch x := v.(type) {
	case *amf.Object:
		s := "{"
		if x.Class != "" {
			s += x.Class + ":"
		}
		for i, m := range x.Members {
			if i > 0 {
				s += ","
			}
			s += m.Key + "=" + valueString(m.Value)
		}
		return s + "}"
	case *amf.Array:
		parts := make([]string, 0, len(x.Dense))
		for _, d := range x.Dense {
			parts = append(parts, valueString(d))
		}
		for _, m := range x.Assoc {
			parts = append(parts, m.Key+"="+valueString(m.Value))
		}
		return "[" + strings.Join(parts, ",") + "]"
	case nil:
		return "null"
	}
	return fmt.Sprint(v)
}

type fakeSink struct{ log *wireLog }

func (s *fakeSink) Started(p *core.Publication)       { s.log.add("publish started %s", p.Name) }
func (s *fakeSink) Failed(code, desc string)          { s.log.add("publish failed %s %s", code, desc) }
func (s *fakeSink) Stopped(code, desc string)         { s.log.add("publish stopped %s %s", code, desc) }
func (s *fakeSink) PublishNotify(p *core.Publication) { s.log.add("notify publish %s", p.Name) }
func (s *fakeSink) UnpublishNotify(p *core.Publication) {
	s.log.add("notify unpublish %s", p.Name)
}

type fakeSubscriber struct{ log *wireLog }

func (s *fakeSubscriber) Started(l *core.Listener) { s.log.add("play started %s", l.Publication.Name) }
func (s *fakeSubscriber) Failed(code, desc string) { s.log.add("play failed %s %s", code, desc) }
func (s *fakeSubscriber) PublishNotify(p *core.Publication) {
	s.log.add("play notify publish %s", p.Name)
}
func (s *fakeSubscriber) UnpublishNotify(p *core.Publication) {
	s.log.add("play notify unpublish %s", p.Name)
}
func (s *fakeSubscriber) WriteMedia(pkt *core.MediaPacket) {
	s.log.add("media %s %d %q", pkt.Kind, pkt.Time, pkt.Payload)
}
func (s *fakeSubscriber) Flush() { s.log.add("media flush") }

type fakeGroupConn struct{ log *wireLog }

func (g *fakeGroupConn) WriteNeighbour(id core.PeerID) { g.log.add("neighbour %x", id[:4]) }
func (g *fakeGroupConn) Close()                        { g.log.add("group closed") }

// coreEnv runs a real core.Server whose application is the host.
type coreEnv struct {
	t    testing.TB
	h    *Host
	srv  *core.Server
	logs *logRecorder
	www  string
	next uint16
}

func startCore(t testing.TB, files map[string]string, opts ...hostOption) *coreEnv {
	t.Helper()
	www := filepath.Join(t.TempDir(), "www")
	writeFiles(t, www, files)
	return startCoreIn(t, www, opts...)
}

func startCoreIn(t testing.TB, www string, opts ...hostOption) *coreEnv {
	t.Helper()
	e := &coreEnv{t: t, logs: &logRecorder{}, www: www, next: 5000}
	o := Options{WWWDir: www, Logger: slog.New(e.logs), Debounce: 30 * time.Millisecond, Budget: 500 * time.Millisecond}
	for _, f := range opts {
		f(&o)
	}
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.h = h
	e.srv = core.NewServer(core.Options{Logger: slog.New(e.logs), ManageInterval: time.Hour}, h)
	h.Attach(e.srv)
	ctx, cancel := context.WithCancel(context.Background())
	go e.srv.Run(ctx)
	t.Cleanup(func() {
		cancel()
		<-e.srv.Done()
	})
	e.onLoop(func() {}) // wait for OnStart
	return e
}

// onLoop runs f on the core loop and waits.
func (e *coreEnv) onLoop(f func()) {
	e.t.Helper()
	runOnLoop(e.t, e.srv, 10*time.Second, f)
}

// runOnLoop runs f on srv's loop and waits up to timeout for it.
func runOnLoop(t testing.TB, srv *core.Server, timeout time.Duration, f func()) {
	t.Helper()
	done := make(chan struct{})
	if !srv.Post(func() { defer close(done); f() }) {
		t.Fatal("core queue refused")
	}
	select {
	case <-done:
	case <-time.After(timeout):
		t.Fatal("core loop stuck")
	}
}

// lua runs src in the environment of app path, on the loop.
func (e *coreEnv) lua(path, src string) error {
	var err error
	e.onLoop(func() { err = runSource(e.h, path, src) })
	return err
}

func (e *coreEnv) mustLua(path, src string) {
	e.t.Helper()
	if err := e.lua(path, src); err != nil {
		e.t.Fatalf("lua in %q: %v\n%s\nlogs:\n%s", path, err, stackOf(err), e.logs.all())
	}
}

type testClient struct {
	e    *coreEnv
	conn *fakeConn
	c    *core.Client
	id   core.PeerID
}

// connect opens a client to url and waits for accept or reject.
func (e *coreEnv) connect(url string, args ...any) *testClient {
	e.t.Helper()
	e.next++
	conn := newFakeConn(e.next)
	var id core.PeerID
	id[0], id[1] = byte(e.next>>8), byte(e.next)
	c, err := e.srv.Connect(conn, &core.ConnectRequest{
		Protocol: "RTMFP", PeerID: id, Address: conn.addr, URL: url, Args: args,
		Properties: []amf.Member{{Key: "app", Value: "test"}, {Key: "flashVer", Value: "WIN 32,0,0,0"}, {Key: "objectEncoding", Value: 3.0}},
	})
	if err != nil {
		e.t.Fatal(err)
	}
	tc := &testClient{e: e, conn: conn, c: c, id: id}
	tc.wait("connect answer", func() bool { return conn.log.find("accept") != "" || conn.log.find("reject") != "" })
	return tc
}

func (tc *testClient) wait(what string, cond func() bool) {
	tc.e.t.Helper()
	waitUntil(tc.e.t, what, func() string { return tc.conn.log.all() + "\nlogs:\n" + tc.e.logs.all() }, cond)
}

// waitFor waits until the client's wire log has an entry containing sub.
func (tc *testClient) waitFor(sub string) string {
	tc.e.t.Helper()
	tc.wait(sub, func() bool { return tc.conn.log.find(sub) != "" })
	return tc.conn.log.find(sub)
}

func (tc *testClient) call(name string, args ...any) {
	tc.e.t.Helper()
	if err := tc.e.srv.Call(tc.c, &core.Call{Name: name, TID: 2, Args: args}); err != nil {
		tc.e.t.Fatal(err)
	}
}

func waitUntil(t testing.TB, what string, state func() string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timeout waiting for %s\n%s", what, state())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

var _ = lua.LNil
