package script

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"

	"nimbus/core"
	"nimbus/core/amf"
)

// TestLuaEvents runs every testdata/events/*.lua script. Each file is the
// root application's main.lua: its event handlers assert and record, and its
// global function test(t) is the driver, run by this harness as a Lua
// coroutine on the core loop.
//
// Sequencing: a driver primitive (t.connect, t.call, t.publish...) calls the
// real core entry point, which queues one task on the core loop, then queues
// the task that resumes the driver, and yields. The core queue is FIFO, so
// when the driver resumes the entry point's task — and every event it
// raised — has run. Nothing sleeps; only t.wait polls, for work that other
// goroutines post (sockets).
//
// Every ERROR log must be claimed by the script with t.errors(); what is
// left when the driver ends fails the test (an assert inside an event
// handler is reported that way, with its file:line).
//
// A file whose first lines contain "-- flavour: cumulus" runs with the root
// forced to the Cumulus flavour. A file that defines afterRestart(t) gets a
// second phase: the server and the host are stopped (onStop, NoDB flushed)
// and started again on the same www and data folders, and afterRestart runs
// in the new Lua state.
func TestLuaEvents(t *testing.T) {
	prelude, err := os.ReadFile("testdata/lua/prelude.lua")
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob("testdata/events/*.lua")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/events/*.lua")
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".lua"), func(t *testing.T) {
			t.Parallel()
			runEventScript(t, f, string(prelude))
		})
	}
}

func runEventScript(t *testing.T, file, prelude string) {
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	d := &eventDriver{
		t: t, file: filepath.ToSlash(file), prelude: prelude,
		www: filepath.Join(dir, "www"), data: filepath.Join(dir, "data"),
		logs: &levelLog{},
	}
	d.flavours = scriptFlavours(string(src))
	writeFiles(t, d.www, map[string]string{"main.lua": string(src)})
	defer func() {
		// Stopped first: the dump reads what the loop owns.
		d.stopServer()
		if t.Failed() {
			t.Log(d.dump())
		}
	}()
	d.startServer()
	d.runPhase("test")
	var again bool
	d.onLoop(func() { again = d.h.lookup(d.h.root, "afterRestart") != lua.LNil })
	if again && !t.Failed() {
		d.stopServer()
		d.startServer()
		d.runPhase("afterRestart")
	}
}

// scriptFlavours reads the "-- flavour: cumulus" directive.
func scriptFlavours(src string) map[string]Flavour {
	for _, ln := range strings.SplitN(src, "\n", 6) {
		ln = strings.TrimSpace(ln)
		if v, ok := strings.CutPrefix(ln, "-- flavour:"); ok && strings.TrimSpace(v) == "cumulus" {
			return map[string]Flavour{"": FlavourCumulus}
		}
	}
	return nil
}

// levelLog records every log record with its MonaServer level name.
type levelLog struct {
	mu      sync.Mutex
	records []logRecord
	claimed int // records before this index were looked at by t.errors
}

type logRecord struct {
	level string
	text  string
}

func levelName(l slog.Level) string {
	switch {
	case l >= slog.LevelError:
		return "ERROR"
	case l >= slog.LevelWarn:
		return "WARN"
	case l >= LevelNote:
		return "NOTE"
	case l >= slog.LevelInfo:
		return "INFO"
	case l >= slog.LevelDebug:
		return "DEBUG"
	}
	return "TRACE"
}

func (r *levelLog) Enabled(context.Context, slog.Level) bool { return true }
func (r *levelLog) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *levelLog) WithGroup(string) slog.Handler            { return r }
func (r *levelLog) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	b.WriteString(rec.Message)
	rec.Attrs(func(a slog.Attr) bool {
		if a.Key != "stack" {
			fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		}
		return true
	})
	r.mu.Lock()
	r.records = append(r.records, logRecord{level: levelName(rec.Level), text: b.String()})
	r.mu.Unlock()
	return nil
}

// takeErrors returns the ERROR records not yet claimed and claims them.
func (r *levelLog) takeErrors() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.records[r.claimed:] {
		if rec.level == "ERROR" {
			out = append(out, rec.text)
		}
	}
	r.claimed = len(r.records)
	return out
}

func (r *levelLog) all() []logRecord {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]logRecord(nil), r.records...)
}

// eventDriver runs one events script: a core server whose application is
// the host, and the driver coroutine.
type eventDriver struct {
	t        *testing.T
	file     string
	prelude  string
	www      string
	data     string
	flavours map[string]Flavour
	logs     *levelLog

	srv    *core.Server
	h      *Host
	cancel context.CancelFunc

	// Owned by the core loop.
	co       *lua.LState
	fn       *lua.LFunction
	done     chan error
	next     uint16
	tid      float64
	clients  map[*lua.LTable]*evClient
	all      []*evClient
	pubs     map[*lua.LTable]*evSink
	subs     map[*lua.LTable]*evSubscription
	members  map[*lua.LTable]*evMembership
	finished bool
}

func (d *eventDriver) startServer() {
	t := d.t
	d.clients = map[*lua.LTable]*evClient{}
	d.pubs = map[*lua.LTable]*evSink{}
	d.subs = map[*lua.LTable]*evSubscription{}
	d.members = map[*lua.LTable]*evMembership{}
	d.all = nil
	h, err := New(Options{
		WWWDir: d.www, DataDir: d.data, Logger: slog.New(d.logs),
		Budget: 2 * time.Second, NoWatch: true, Flavours: d.flavours,
		Configs:   map[string]string{"RTMFP.port": "1935", "app.name": "nimbus"},
		Arguments: map[string]string{"verbose": "true"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The prelude's helpers (eq, deepEq, count, fails) go to _G so that
	// every application sees them, before main.lua runs in OnStart.
	for _, chunk := range []struct{ name, src string }{{"prelude.lua", d.prelude}, {"events.lua", eventsPrelude}} {
		proto, err := compileSource([]byte(chunk.src), chunk.name)
		if err != nil {
			t.Fatal(err)
		}
		fn := h.L.NewFunctionFromProto(proto)
		fn.Env = h.global
		h.L.Push(fn)
		if err := h.L.PCall(0, 0, nil); err != nil {
			t.Fatal(err)
		}
	}
	d.h = h
	d.srv = core.NewServer(core.Options{Logger: slog.New(d.logs), ManageInterval: time.Hour}, h)
	h.Attach(d.srv)
	ctx, cancel := context.WithCancel(context.Background())
	d.cancel = cancel
	go d.srv.Run(ctx)
	t.Cleanup(d.stopServer)
	var loadErr *Error
	d.onLoop(func() {
		if h.root != nil && h.root.state == appFailed {
			loadErr = h.root.loadErr
		}
	})
	if loadErr != nil {
		t.Fatalf("%s", d.position(loadErr.Text))
	}
}

func (d *eventDriver) stopServer() {
	if d.cancel == nil {
		return
	}
	d.cancel()
	d.cancel = nil
	<-d.srv.Done()
}

// onLoop runs f on the core loop and waits.
func (d *eventDriver) onLoop(f func()) {
	d.t.Helper()
	runOnLoop(d.t, d.srv, 20*time.Second, f)
}

var mainChunk = regexp.MustCompile(`(^|[^/\w.])main\.lua:`)

// position names the script file in Lua error texts: the root app's chunk
// is "main.lua", whose lines are the script's lines.
func (d *eventDriver) position(s string) string {
	return mainChunk.ReplaceAllString(s, "${1}"+d.file+":")
}

// runPhase runs the global function name as the driver coroutine and waits
// for it to finish, then checks that no ERROR log is left unclaimed.
func (d *eventDriver) runPhase(name string) {
	t := d.t
	t.Helper()
	d.done = make(chan error, 1)
	var missing bool
	d.onLoop(func() {
		fn, ok := d.h.lookup(d.h.root, name).(*lua.LFunction)
		if !ok {
			missing = true
			return
		}
		d.co, _ = d.h.L.NewThread()
		d.co.SetContext(d.h.budget)
		d.fn = fn
		d.finished = false
		d.resume(d.newT())
	})
	if missing {
		t.Fatalf("%s: no function %s(t)", d.file, name)
	}
	select {
	case err := <-d.done:
		if err != nil {
			t.Fatalf("%s failed: %s", name, d.position(err.Error()))
		}
	case <-time.After(25 * time.Second):
		t.Fatalf("%s: driver did not finish", name)
	}
	if errs := d.logs.takeErrors(); len(errs) > 0 {
		t.Fatalf("%s failed: unclaimed ERROR logs (claim expected ones with t.errors()):\n%s", name, d.position(strings.Join(errs, "\n")))
	}
}

// resume continues the driver with values as the results of the primitive
// it yielded in. It runs on the core loop.
func (d *eventDriver) resume(values ...lua.LValue) {
	if d.finished {
		return
	}
	d.h.budget.enter()
	st, err, _ := d.h.L.Resume(d.co, d.fn, values...)
	d.h.budget.leave()
	switch st {
	case lua.ResumeOK:
		d.finish(nil)
	case lua.ResumeError:
		d.finish(err)
	}
}

func (d *eventDriver) finish(err error) {
	if d.finished {
		return
	}
	d.finished = true
	d.done <- err
}

// yield suspends the driver; then, once every task queued before has run,
// results() is computed on the loop and returned to the driver.
func (d *eventDriver) yield(L *lua.LState, results func() []lua.LValue) int {
	if !d.srv.ForcePost(func() {
		var vals []lua.LValue
		if results != nil {
			vals = results()
		}
		d.resume(vals...)
	}) {
		L.RaiseError("core loop stopped")
	}
	return L.Yield()
}

func (d *eventDriver) dump() string {
	var b strings.Builder
	b.WriteString("logs:\n")
	for _, r := range d.logs.all() {
		fmt.Fprintf(&b, "  %s %s\n", r.level, d.position(r.text))
	}
	for _, c := range d.all {
		fmt.Fprintf(&b, "wire of client %s (%s):\n", c.url, c.conn.addr)
		for _, e := range strings.Split(c.conn.log.all(), "\n") {
			if e != "" {
				fmt.Fprintf(&b, "  %s\n", e)
			}
		}
	}
	return b.String()
}

// --- recording protocol objects (extend the fakes with structured records) ---

// evMsg is one message a writer sent, with its values.
type evMsg struct {
	writer            string
	kind              string // invoke, result, error, status, data, raw
	name              string // invoke/data handler
	tid               float64
	args              []any
	level, code, desc string
	extra             []amf.Member
	raw               []byte
}

type evConn struct {
	*fakeConn
	w        *evWriter
	msgs     []evMsg
	answered bool
	accepted bool
	info     []amf.Member
	code     string
	desc     string
	closed   bool
}

func newEvConn(port uint16) *evConn {
	c := &evConn{fakeConn: newFakeConn(port)}
	c.w = &evWriter{fakeWriter: c.fakeConn.writer, conn: c}
	return c
}

func (c *evConn) Writer() core.Writer { return c.w }
func (c *evConn) Accept(cl *core.Client, info []amf.Member) {
	c.fakeConn.Accept(cl, info)
	c.answered, c.accepted, c.info = true, true, info
}
func (c *evConn) Reject(code, desc string) {
	c.fakeConn.Reject(code, desc)
	c.answered, c.code, c.desc = true, code, desc
}
func (c *evConn) Close() {
	c.fakeConn.Close()
	c.closed = true
}

type evWriter struct {
	*fakeWriter
	conn *evConn
}

func (w *evWriter) record(m evMsg) {
	m.writer = w.name
	w.conn.msgs = append(w.conn.msgs, m)
}

func (w *evWriter) WriteInvocation(name string, args ...any) error {
	w.record(evMsg{kind: "invoke", name: name, args: args})
	return w.fakeWriter.WriteInvocation(name, args...)
}
func (w *evWriter) WriteResult(tid float64, args ...any) error {
	w.record(evMsg{kind: "result", tid: tid, args: args})
	return w.fakeWriter.WriteResult(tid, args...)
}
func (w *evWriter) WriteError(tid float64, code, desc string) error {
	w.record(evMsg{kind: "error", tid: tid, code: code, desc: desc})
	return w.fakeWriter.WriteError(tid, code, desc)
}
func (w *evWriter) WriteStatus(level, code, desc string, extra ...amf.Member) error {
	w.record(evMsg{kind: "status", level: level, code: code, desc: desc, extra: extra})
	return w.fakeWriter.WriteStatus(level, code, desc, extra...)
}
func (w *evWriter) WriteData(name string, args ...any) error {
	w.record(evMsg{kind: "data", name: name, args: args})
	return w.fakeWriter.WriteData(name, args...)
}
func (w *evWriter) WriteRaw(b []byte) error {
	w.record(evMsg{kind: "raw", raw: append([]byte(nil), b...)})
	return w.fakeWriter.WriteRaw(b)
}
func (w *evWriter) NewWriter() (core.Writer, error) {
	nw, err := w.fakeWriter.NewWriter()
	if err != nil {
		return nil, err
	}
	return &evWriter{fakeWriter: nw.(*fakeWriter), conn: w.conn}, nil
}

type evSink struct {
	started       bool
	code, desc    string
	stopped       bool
	stopCode      string
	stopDesc      string
	log           *wireLog
	publication   *core.Publication
	handle        *core.Publishing
	client        *evClient
	name          string
	luaPublishing *lua.LTable
}

func (s *evSink) Started(p *core.Publication) {
	s.log.add("publish started %s", p.Name)
	s.started, s.publication = true, p
}
func (s *evSink) Failed(code, desc string) {
	s.log.add("publish failed %s %s", code, desc)
	s.code, s.desc = code, desc
}
func (s *evSink) Stopped(code, desc string) {
	s.log.add("publish stopped %s %s", code, desc)
	s.stopped, s.stopCode, s.stopDesc = true, code, desc
}

type evMedia struct {
	kind    string
	time    uint32
	payload []byte
}

type evSubscription struct {
	log        *wireLog
	handle     *core.Subscription
	started    bool
	listener   *core.Listener
	code, desc string
	notices    []string // "publish name" / "unpublish name"
	media      []evMedia
	taken      int
	flushes    int
}

func (s *evSubscription) Started(l *core.Listener) {
	s.log.add("play started %s", l.Publication.Name)
	s.started, s.listener = true, l
}
func (s *evSubscription) Failed(code, desc string) {
	s.log.add("play failed %s %s", code, desc)
	s.code, s.desc = code, desc
}
func (s *evSubscription) PublishNotify(p *core.Publication) {
	s.log.add("play notify publish %s", p.Name)
	s.notices = append(s.notices, "publish "+p.Name)
}
func (s *evSubscription) UnpublishNotify(p *core.Publication) {
	s.log.add("play notify unpublish %s", p.Name)
	s.notices = append(s.notices, "unpublish "+p.Name)
}
func (s *evSubscription) WriteMedia(pkt *core.MediaPacket) {
	s.log.add("media %s %d %q", pkt.Kind, pkt.Time, pkt.Payload)
	s.media = append(s.media, evMedia{kind: pkt.Kind.String(), time: pkt.Time, payload: pkt.Payload})
}
func (s *evSubscription) Flush() {
	s.log.add("media flush")
	s.flushes++
}

// QoS makes listener.audioQOS/videoQOS/dataQOS observable (core.QoSReporter).
func (s *evSubscription) QoS(kind core.MediaKind) core.QoS {
	return core.QoS{LostRate: 0.5, ByteRate: float64(kind) * 100, Latency: time.Duration(kind) * time.Millisecond,
		LastSendingTime: time.UnixMilli(1700000000000), CongestionRate: 0.125, DroppedFrames: uint64(kind)}
}

type evMembership struct {
	log        *wireLog
	handle     *core.Membership
	neighbours []string
}

func (g *evMembership) WriteNeighbour(id core.PeerID) {
	g.log.add("neighbour %x", id[:4])
	g.neighbours = append(g.neighbours, id.String())
}
func (g *evMembership) Close() {
	g.log.add("group closed")
}

type evClient struct {
	url   string
	conn  *evConn
	c     *core.Client
	id    core.PeerID
	taken int
	table *lua.LTable
}

// --- the driver object t ---

func (d *eventDriver) newT() *lua.LTable {
	L := d.h.L
	t := L.NewTable()
	fns := map[string]lua.LGFunction{
		"tryConnect":        d.luaConnect,
		"call":              d.luaCall(true),
		"notify":            d.luaCall(false),
		"disconnect":        d.luaDisconnect,
		"fail":              d.luaFail,
		"publish":           d.luaPublish,
		"push":              d.luaPush,
		"send":              d.luaSend,
		"flush":             d.luaFlush,
		"unpublish":         d.luaUnpublish,
		"subscribe":         d.luaSubscribe,
		"receive":           d.luaReceive,
		"unsubscribe":       d.luaUnsubscribe,
		"join":              d.luaJoin,
		"leave":             d.luaLeave,
		"addressChanged":    d.luaAddressChanged,
		"setPeerAddresses":  d.luaSetPeerAddresses,
		"handshake":         d.luaHandshake,
		"introduce":         d.luaIntroduce,
		"rendezvousUnknown": d.luaRendezvousUnknown,
		"manage":            d.luaManage,
		"tick":              func(L *lua.LState) int { return d.yield(L, nil) },
		"sleep":             d.luaSleep,
		"reload":            d.luaReload,
		"writeFile":         d.luaWriteFile,
		"errors":            d.luaErrors,
		"logs":              d.luaLogs,
		"dataDir":           func(L *lua.LState) int { L.Push(lua.LString(d.data)); return 1 },
	}
	for name, fn := range fns {
		t.RawSetString(name, L.NewFunction(fn))
	}
	fn, err := L.LoadString(driverLua)
	if err != nil {
		panic(err)
	}
	L.Push(fn)
	L.Push(t)
	L.Call(1, 0)
	return t
}

// eventsPrelude makes the prelude's helpers report the position of their
// caller: gopher-lua's error(msg, 2) reports the function that calls error,
// not its caller.
const eventsPrelude = `
function callerPosition(level)
	local i = debug.getinfo(level + 1, "Sl")
	if i and i.currentline and i.currentline > 0 then
		return i.source .. ":" .. i.currentline .. ": "
	end
	return ""
end
local function strip(err) return (tostring(err):gsub("^[^:]*:%d+: ", "")) end
for _, name in ipairs({"eq", "deepEq", "fails"}) do
	local f = _G[name]
	_G[name] = function(...)
		local r = {pcall(f, ...)}
		if not r[1] then error(callerPosition(2) .. strip(r[2]), 0) end
		return unpack(r, 2, table.maxn(r))
	end
end
`

// driverLua completes t with the primitives written in Lua.
const driverLua = `
local t = ...
-- t.connect is t.tryConnect that raises (at the caller) unless accepted.
function t.connect(...)
	local h = t.tryConnect(...)
	if not h.accepted then
		error(callerPosition(2) .. "connect " .. h.url .. " rejected: " .. h.code .. " " .. h.description, 0)
	end
	return h
end
-- t.wait(cond[, what]) polls cond, for work that other goroutines post.
function t.wait(cond, what)
	local deadline = mona:time() + 5000
	while not cond() do
		if mona:time() > deadline then
			error(callerPosition(2) .. "timeout waiting for " .. tostring(what or "condition"), 0)
		end
		t.sleep(2)
	end
end
`

// luaArgs collects the Lua arguments from n as AMF values (what a client
// would send).
func luaArgs(L *lua.LState, n int) []any {
	vals := make([]lua.LValue, 0, L.GetTop())
	for i := n; i <= L.GetTop(); i++ {
		vals = append(vals, L.Get(i))
	}
	out, err := luaValuesToAMF(vals)
	if err != nil {
		L.RaiseError("arguments: %v", err)
	}
	return out
}

func (d *eventDriver) toLua(v any) lua.LValue {
	return newAMFToLua(d.h.L, time.Local, nil).value(v)
}

func (d *eventDriver) valuesTable(vs []any) *lua.LTable {
	t := d.h.L.NewTable()
	for i, v := range vs {
		t.RawSetInt(i+1, d.toLua(v))
	}
	t.RawSetString("n", lua.LNumber(len(vs)))
	return t
}

func (d *eventDriver) membersTable(ms []amf.Member) *lua.LTable {
	t := d.h.L.NewTable()
	for _, m := range ms {
		t.RawSetString(m.Key, d.toLua(m.Value))
	}
	return t
}

func (d *eventDriver) msgTable(m evMsg) *lua.LTable {
	t := d.h.L.NewTable()
	t.RawSetString("writer", lua.LString(m.writer))
	t.RawSetString("kind", lua.LString(m.kind))
	switch m.kind {
	case "invoke", "data":
		t.RawSetString("name", lua.LString(m.name))
		t.RawSetString("args", d.valuesTable(m.args))
	case "result":
		t.RawSetString("tid", lua.LNumber(m.tid))
		t.RawSetString("args", d.valuesTable(m.args))
	case "error":
		t.RawSetString("tid", lua.LNumber(m.tid))
		t.RawSetString("code", lua.LString(m.code))
		t.RawSetString("description", lua.LString(m.desc))
	case "status":
		t.RawSetString("level", lua.LString(m.level))
		t.RawSetString("code", lua.LString(m.code))
		t.RawSetString("description", lua.LString(m.desc))
		t.RawSetString("extra", d.membersTable(m.extra))
	case "raw":
		t.RawSetString("data", lua.LString(m.raw))
	}
	return t
}

func (d *eventDriver) checkClient(L *lua.LState, n int) *evClient {
	if c := d.clients[L.CheckTable(n)]; c != nil {
		return c
	}
	L.ArgError(n, "client handle expected")
	return nil
}

// t.connect(url, args...) or t.connect{url=, args={...}, properties={...},
// peerId=hex}: a client connects; connect raises unless it is accepted,
// tryConnect returns the handle either way. Handle: accepted, code,
// description (rejection), info (members added to the response), id,
// rawId, address, client (the Lua client object), and the methods
// messages() (everything written to it), take() (what was written since
// the last take), wire() (the text log), isClosed() (closed by the server).
func (d *eventDriver) luaConnect(L *lua.LState) int {
	var url string
	var args []any
	props := []amf.Member{{Key: "app", Value: "test"}, {Key: "flashVer", Value: "WIN 32,0,0,0"},
		{Key: "swfUrl", Value: "http://example.com/app.swf"}, {Key: "pageUrl", Value: "http://example.com/"},
		{Key: "objectEncoding", Value: 3.0}}
	d.next++
	var id core.PeerID
	id[0], id[1], id[31] = byte(d.next>>8), byte(d.next), 0x5a
	if opts, ok := L.Get(1).(*lua.LTable); ok {
		url = lua.LVAsString(opts.RawGetString("url"))
		if a, ok := opts.RawGetString("args").(*lua.LTable); ok {
			vals := make([]lua.LValue, 0, denseLen(a))
			for i := 1; i <= denseLen(a); i++ {
				vals = append(vals, a.RawGetInt(i))
			}
			var err error
			if args, err = luaValuesToAMF(vals); err != nil {
				L.RaiseError("args: %v", err)
			}
		}
		if p, ok := opts.RawGetString("properties").(*lua.LTable); ok {
			members := sortedMembers(L, p)
			for _, m := range members {
				replaced := false
				for i := range props {
					if props[i].Key == m.Key {
						props[i].Value, replaced = m.Value, true
					}
				}
				if !replaced {
					props = append(props, m)
				}
			}
		}
		if s := lua.LVAsString(opts.RawGetString("peerId")); s != "" {
			var err error
			if id, err = core.ParsePeerID(s); err != nil {
				L.RaiseError("peerId: %v", err)
			}
		}
	} else {
		url = L.CheckString(1)
		args = luaArgs(L, 2)
	}
	props = append(props, amf.Member{Key: "tcUrl", Value: url})
	conn := newEvConn(d.next)
	c, err := d.srv.Connect(conn, &core.ConnectRequest{
		Protocol: "RTMFP", PeerID: id, Address: conn.addr, URL: url, Args: args, Properties: props,
	})
	if err != nil {
		L.RaiseError("connect: %v", err)
	}
	ec := &evClient{url: url, conn: conn, c: c, id: id}
	d.all = append(d.all, ec)
	return d.yield(L, func() []lua.LValue {
		if !conn.answered {
			d.finish(fmt.Errorf("connect %s: no answer after the connect task", url))
			return nil
		}
		return []lua.LValue{d.clientHandle(ec)}
	})
}

func sortedMembers(L *lua.LState, t *lua.LTable) []amf.Member {
	var out []amf.Member
	conv := &luaToAMF{}
	t.ForEach(func(k, v lua.LValue) {
		av, err := conv.value(v)
		if err != nil {
			L.RaiseError("properties: %v", err)
		}
		out = append(out, amf.Member{Key: keyString(k), Value: av})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func (d *eventDriver) clientHandle(ec *evClient) *lua.LTable {
	L := d.h.L
	t := L.NewTable()
	ec.table = t
	d.clients[t] = ec
	conn := ec.conn
	t.RawSetString("url", lua.LString(ec.url))
	t.RawSetString("accepted", lua.LBool(conn.accepted))
	t.RawSetString("id", lua.LString(ec.id.String()))
	t.RawSetString("rawId", lua.LString(ec.id[:]))
	t.RawSetString("address", lua.LString(conn.addr.String()))
	if conn.accepted {
		t.RawSetString("info", d.membersTable(conn.info))
		if lc := clientOf(ec.c); lc != nil {
			t.RawSetString("client", lc.ud)
		}
	} else {
		t.RawSetString("code", lua.LString(conn.code))
		t.RawSetString("description", lua.LString(conn.desc))
	}
	t.RawSetString("messages", L.NewFunction(func(L *lua.LState) int {
		out := L.NewTable()
		for _, m := range conn.msgs {
			out.Append(d.msgTable(m))
		}
		L.Push(out)
		return 1
	}))
	t.RawSetString("take", L.NewFunction(func(L *lua.LState) int {
		out := L.NewTable()
		for _, m := range conn.msgs[ec.taken:] {
			out.Append(d.msgTable(m))
		}
		ec.taken = len(conn.msgs)
		L.Push(out)
		return 1
	}))
	t.RawSetString("wire", L.NewFunction(func(L *lua.LState) int {
		out := L.NewTable()
		for _, e := range strings.Split(conn.log.all(), "\n") {
			if e != "" {
				out.Append(lua.LString(e))
			}
		}
		L.Push(out)
		return 1
	}))
	t.RawSetString("isClosed", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LBool(conn.closed))
		return 1
	}))
	return t
}

// t.call(h, name, args...) runs an RPC with a transaction ID and returns
// true, results... for a _result; false, description, code for an _error;
// nil when nothing answered the call. t.notify is the same with
// transaction 0 (no answer expected): it returns false, description, code
// when an error status was written, nil otherwise.
func (d *eventDriver) luaCall(withTID bool) lua.LGFunction {
	return func(L *lua.LState) int {
		ec := d.checkClient(L, 1)
		name := L.CheckString(2)
		args := luaArgs(L, 3)
		tid := 0.0
		if withTID {
			// Transaction IDs from 2, as Flash numbers them after connect.
			d.tid++
			tid = d.tid + 1
		}
		from := len(ec.conn.msgs)
		if err := d.srv.Call(ec.c, &core.Call{Name: name, TID: tid, Args: args}); err != nil {
			L.RaiseError("call: %v", err)
		}
		return d.yield(L, func() []lua.LValue {
			for _, m := range ec.conn.msgs[from:] {
				if m.writer != "main" {
					continue
				}
				switch {
				case withTID && m.kind == "result" && m.tid == tid:
					out := []lua.LValue{lua.LTrue}
					for _, v := range m.args {
						out = append(out, d.toLua(v))
					}
					return out
				case withTID && m.kind == "error" && m.tid == tid,
					!withTID && m.kind == "status" && m.code == "NetConnection.Call.Failed":
					return []lua.LValue{lua.LFalse, lua.LString(m.desc), lua.LString(m.code)}
				}
			}
			return []lua.LValue{lua.LNil}
		})
	}
}

func (d *eventDriver) luaDisconnect(L *lua.LState) int {
	ec := d.checkClient(L, 1)
	d.srv.Disconnect(ec.c)
	return d.yield(L, nil)
}

// t.fail(h, reason) ends the client's session as failed (idle timeout...).
func (d *eventDriver) luaFail(L *lua.LState) int {
	ec := d.checkClient(L, 1)
	d.srv.Fail(ec.c, L.CheckString(2))
	return d.yield(L, nil)
}

// t.publish(h, name) → publishing handle: ok, code, description,
// publication (Lua object), stopped, stopCode, stopDescription.
func (d *eventDriver) luaPublish(L *lua.LState) int {
	ec := d.checkClient(L, 1)
	name := L.CheckString(2)
	s := &evSink{log: ec.conn.log, client: ec, name: name}
	h, err := d.srv.Publish(ec.c, name, s)
	if err != nil {
		L.RaiseError("publish: %v", err)
	}
	s.handle = h
	return d.yield(L, func() []lua.LValue {
		t := L.NewTable()
		s.luaPublishing = t
		d.pubs[t] = s
		d.refreshPublishing(s)
		return []lua.LValue{t}
	})
}

func (d *eventDriver) refreshPublishing(s *evSink) {
	t := s.luaPublishing
	t.RawSetString("name", lua.LString(s.name))
	t.RawSetString("ok", lua.LBool(s.started))
	t.RawSetString("code", lua.LString(s.code))
	t.RawSetString("description", lua.LString(s.desc))
	t.RawSetString("stopped", lua.LBool(s.stopped))
	t.RawSetString("stopCode", lua.LString(s.stopCode))
	t.RawSetString("stopDescription", lua.LString(s.stopDesc))
	if s.publication != nil {
		t.RawSetString("publication", d.h.publication(d.h.L, s.publication).ud)
	}
}

func (d *eventDriver) checkPublishing(L *lua.LState, n int) *evSink {
	if s := d.pubs[L.CheckTable(n)]; s != nil {
		return s
	}
	L.ArgError(n, "publishing handle expected")
	return nil
}

var mediaKinds = map[string]core.MediaKind{"audio": core.MediaAudio, "video": core.MediaVideo, "data": core.MediaData}

// t.push(pub, "audio"|"video"|"data", time, payload) pushes a packet as the
// publishing client does.
func (d *eventDriver) luaPush(L *lua.LState) int {
	s := d.checkPublishing(L, 1)
	kind, ok := mediaKinds[L.CheckString(2)]
	if !ok {
		L.ArgError(2, "audio, video or data")
	}
	pkt := &core.MediaPacket{Kind: kind, Time: uint32(L.CheckNumber(3)), Payload: []byte(L.CheckString(4))}
	d.srv.PushMedia(s.handle, pkt)
	return d.yield(L, func() []lua.LValue { d.refreshPublishing(s); return nil })
}

// t.send(pub, time, handler, args...) pushes an AMF0 data message (Flash
// NetStream.send).
func (d *eventDriver) luaSend(L *lua.LState) int {
	s := d.checkPublishing(L, 1)
	tm := uint32(L.CheckNumber(2))
	vals := []lua.LValue{}
	for i := 3; i <= L.GetTop(); i++ {
		vals = append(vals, L.Get(i))
	}
	b, err := encodeAMF(vals, false)
	if err != nil {
		L.RaiseError("send: %v", err)
	}
	d.srv.PushMedia(s.handle, &core.MediaPacket{Kind: core.MediaData, Time: tm, Payload: b})
	return d.yield(L, nil)
}

func (d *eventDriver) luaFlush(L *lua.LState) int {
	s := d.checkPublishing(L, 1)
	d.srv.FlushMedia(s.handle)
	return d.yield(L, nil)
}

func (d *eventDriver) luaUnpublish(L *lua.LState) int {
	s := d.checkPublishing(L, 1)
	d.srv.Unpublish(s.handle)
	return d.yield(L, func() []lua.LValue { d.refreshPublishing(s); return nil })
}

// t.subscribe(h, name) → subscription handle: ok, code, description,
// listener (Lua object), and the methods media() / take() (packets received:
// {kind=, time=, payload=}), notices() ("publish x"/"unpublish x"),
// flushes().
func (d *eventDriver) luaSubscribe(L *lua.LState) int {
	ec := d.checkClient(L, 1)
	name := L.CheckString(2)
	s := &evSubscription{log: ec.conn.log}
	h, err := d.srv.Subscribe(ec.c, name, s)
	if err != nil {
		L.RaiseError("subscribe: %v", err)
	}
	s.handle = h
	return d.yield(L, func() []lua.LValue {
		t := L.NewTable()
		d.subs[t] = s
		t.RawSetString("ok", lua.LBool(s.started))
		t.RawSetString("code", lua.LString(s.code))
		t.RawSetString("description", lua.LString(s.desc))
		if s.listener != nil {
			t.RawSetString("listener", d.h.listener(d.h.L, s.listener).ud)
		}
		mediaList := func(from int) *lua.LTable {
			out := L.NewTable()
			for _, m := range s.media[from:] {
				e := L.NewTable()
				e.RawSetString("kind", lua.LString(m.kind))
				e.RawSetString("time", lua.LNumber(m.time))
				e.RawSetString("payload", lua.LString(m.payload))
				out.Append(e)
			}
			return out
		}
		t.RawSetString("media", L.NewFunction(func(L *lua.LState) int { L.Push(mediaList(0)); return 1 }))
		t.RawSetString("take", L.NewFunction(func(L *lua.LState) int {
			L.Push(mediaList(s.taken))
			s.taken = len(s.media)
			return 1
		}))
		t.RawSetString("notices", L.NewFunction(func(L *lua.LState) int {
			out := L.NewTable()
			for _, n := range s.notices {
				out.Append(lua.LString(n))
			}
			L.Push(out)
			return 1
		}))
		t.RawSetString("flushes", L.NewFunction(func(L *lua.LState) int {
			L.Push(lua.LNumber(s.flushes))
			return 1
		}))
		return []lua.LValue{t}
	})
}

func (d *eventDriver) checkSubscription(L *lua.LState, n int) *evSubscription {
	if s := d.subs[L.CheckTable(n)]; s != nil {
		return s
	}
	L.ArgError(n, "subscription handle expected")
	return nil
}

func (d *eventDriver) luaReceive(L *lua.LState) int {
	s := d.checkSubscription(L, 1)
	d.srv.SetReceive(s.handle, L.ToBool(2), L.ToBool(3))
	return d.yield(L, nil)
}

func (d *eventDriver) luaUnsubscribe(L *lua.LState) int {
	s := d.checkSubscription(L, 1)
	d.srv.Unsubscribe(s.handle)
	return d.yield(L, nil)
}

// t.join(h, groupId) → membership handle: group (Lua object, nil when the
// join was ignored), neighbours() (peer IDs the member was told about).
func (d *eventDriver) luaJoin(L *lua.LState) int {
	ec := d.checkClient(L, 1)
	gid, err := core.ParsePeerID(L.CheckString(2))
	if err != nil {
		L.ArgError(2, err.Error())
	}
	m := &evMembership{log: ec.conn.log}
	h, err := d.srv.JoinGroup(ec.c, gid, m)
	if err != nil {
		L.RaiseError("join: %v", err)
	}
	m.handle = h
	return d.yield(L, func() []lua.LValue {
		t := L.NewTable()
		d.members[t] = m
		if g := h.Group(); g != nil {
			t.RawSetString("group", d.h.group(d.h.L, g).ud)
		}
		t.RawSetString("neighbours", L.NewFunction(func(L *lua.LState) int {
			out := L.NewTable()
			for _, n := range m.neighbours {
				out.Append(lua.LString(n))
			}
			L.Push(out)
			return 1
		}))
		return []lua.LValue{t}
	})
}

func (d *eventDriver) luaLeave(L *lua.LState) int {
	m := d.members[L.CheckTable(1)]
	if m == nil {
		L.ArgError(1, "membership handle expected")
	}
	d.srv.LeaveGroup(m.handle)
	return d.yield(L, nil)
}

func checkAddrPort(L *lua.LState, n int) netip.AddrPort {
	ap, err := netip.ParseAddrPort(L.CheckString(n))
	if err != nil {
		L.ArgError(n, err.Error())
	}
	return ap
}

func (d *eventDriver) luaAddressChanged(L *lua.LState) int {
	ec := d.checkClient(L, 1)
	d.srv.AddressChanged(ec.c, checkAddrPort(L, 2))
	return d.yield(L, nil)
}

func (d *eventDriver) luaSetPeerAddresses(L *lua.LState) int {
	ec := d.checkClient(L, 1)
	var addrs []netip.AddrPort
	list := L.CheckTable(2)
	for i := 1; i <= denseLen(list); i++ {
		ap, err := netip.ParseAddrPort(lua.LVAsString(list.RawGetInt(i)))
		if err != nil {
			L.ArgError(2, err.Error())
		}
		addrs = append(addrs, ap)
	}
	d.srv.SetPeerAddresses(ec.c, addrs)
	return d.yield(L, nil)
}

func addrList(L *lua.LState, addrs []netip.AddrPort) *lua.LTable {
	t := L.NewTable()
	for _, a := range addrs {
		t.Append(lua.LString(a.String()))
	}
	return t
}

// t.handshake{path=, query=, properties={k="v"}, attempt=, address=} asks
// the application whether to redirect; it returns the redirection list
// ("ip:port" strings) and whether the server itself is included.
func (d *eventDriver) luaHandshake(L *lua.LState) int {
	o := L.CheckTable(1)
	req := &core.HandshakeRequest{Protocol: "RTMFP", Path: lua.LVAsString(o.RawGetString("path")),
		Query: lua.LVAsString(o.RawGetString("query")), Attempt: 1,
		Address: netip.MustParseAddrPort("192.0.2.50:4000"), Properties: map[string]string{}}
	if n, ok := o.RawGetString("attempt").(lua.LNumber); ok {
		req.Attempt = int(n)
	}
	if s := lua.LVAsString(o.RawGetString("address")); s != "" {
		ap, err := netip.ParseAddrPort(s)
		if err != nil {
			L.ArgError(1, err.Error())
		}
		req.Address = ap
	}
	if p, ok := o.RawGetString("properties").(*lua.LTable); ok {
		p.ForEach(func(k, v lua.LValue) { req.Properties[keyString(k)] = lua.LVAsString(v) })
	}
	var res core.HandshakeResult
	if err := d.srv.Handshake(req, func(r core.HandshakeResult) { res = r }); err != nil {
		L.RaiseError("handshake: %v", err)
	}
	return d.yield(L, func() []lua.LValue {
		return []lua.LValue{addrList(L, res.Redirect), lua.LBool(res.IncludeSelf)}
	})
}

func introductionTable(d *eventDriver, L *lua.LState, in core.Introduction) *lua.LTable {
	t := L.NewTable()
	t.RawSetString("refused", lua.LBool(in.Refused))
	if lc := clientOf(in.Target); lc != nil {
		t.RawSetString("target", lc.ud)
	}
	list := func(as []core.Address) *lua.LTable {
		out := L.NewTable()
		for _, a := range as {
			out.Append(lua.LString(a.AddrPort.String()))
		}
		return out
	}
	t.RawSetString("redirect", list(in.Redirect))
	t.RawSetString("forward", list(in.Forward))
	return t
}

// t.introduce(from, target) asks for a P2P introduction to the client of
// handle target; from is a client handle (its address) or "ip:port". It
// returns {refused=, target=, redirect={...}, forward={...}}.
func (d *eventDriver) luaIntroduce(L *lua.LState) int {
	var from netip.AddrPort
	if _, ok := L.Get(1).(*lua.LTable); ok {
		from = d.checkClient(L, 1).c.Address()
	} else {
		from = checkAddrPort(L, 1)
	}
	target := d.checkClient(L, 2)
	var res core.Introduction
	if err := d.srv.Introduce(core.IntroductionRequest{From: from, Target: target.id, Attempt: 1},
		func(in core.Introduction) { res = in }); err != nil {
		L.RaiseError("introduce: %v", err)
	}
	return d.yield(L, func() []lua.LValue { return []lua.LValue{introductionTable(d, L, res)} })
}

// t.rendezvousUnknown(from, peerId) asks for a peer nobody has; it returns
// the redirection list the application chose.
func (d *eventDriver) luaRendezvousUnknown(L *lua.LState) int {
	from := checkAddrPort(L, 1)
	id, err := core.ParsePeerID(L.CheckString(2))
	if err != nil {
		L.ArgError(2, err.Error())
	}
	var res core.Introduction
	if err := d.srv.Introduce(core.IntroductionRequest{From: from, Target: id, Attempt: 1},
		func(in core.Introduction) { res = in }); err != nil {
		L.RaiseError("introduce: %v", err)
	}
	return d.yield(L, func() []lua.LValue { return []lua.LValue{introductionTable(d, L, res)} })
}

// t.manage() runs one manage tick (what core's ticker does every 2 s).
func (d *eventDriver) luaManage(L *lua.LState) int {
	if !d.srv.Post(d.h.OnManage) {
		L.RaiseError("manage: core queue refused")
	}
	return d.yield(L, nil)
}

// t.sleep(ms) resumes after a delay (for t.wait only).
func (d *eventDriver) luaSleep(L *lua.LState) int {
	ms := L.CheckNumber(1)
	time.AfterFunc(time.Duration(float64(ms)*float64(time.Millisecond)), func() {
		d.srv.ForcePost(func() { d.resume() })
	})
	return L.Yield()
}

func (d *eventDriver) writeWWW(L *lua.LState, rel string, content lua.LValue) string {
	p := filepath.Join(d.www, filepath.FromSlash(rel))
	if !strings.HasPrefix(p, d.www+string(filepath.Separator)) {
		L.ArgError(1, "path outside www")
	}
	if content == lua.LFalse {
		if err := os.Remove(p); err != nil {
			L.RaiseError("remove %s: %v", rel, err)
		}
		return filepath.Dir(p)
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		L.RaiseError("%v", err)
	}
	// New folders are known to their parent application as the watcher
	// would report them (the harness runs without it).
	segs := strings.Split(filepath.ToSlash(filepath.Dir(rel)), "/")
	parent := ""
	for _, seg := range segs {
		if seg == "." || seg == "" {
			continue
		}
		if a := d.h.apps[parent]; a != nil {
			a.subdirs[seg] = true
		}
		parent += "/" + seg
	}
	if err := os.WriteFile(p, []byte(lua.LVAsString(content)), 0o644); err != nil {
		L.RaiseError("%v", err)
	}
	// Make sure a rewrite within the file system's timestamp granularity is
	// still seen as a change.
	now := time.Now()
	os.Chtimes(p, now, now)
	return filepath.Dir(p)
}

// t.writeFile(path, text) writes a file under www (no reload: apps not yet
// loaded read it on first use).
func (d *eventDriver) luaWriteFile(L *lua.LState) int {
	d.writeWWW(L, L.CheckString(1), L.Get(2))
	return 0
}

// t.reload{["path/main.lua"] = text | false} writes (false: deletes) files
// and applies the change as the file watcher does: onStop, globals cleared,
// main.lua run again, onStart.
func (d *eventDriver) luaReload(L *lua.LState) int {
	files := L.CheckTable(1)
	dirs := map[string]bool{}
	files.ForEach(func(k, v lua.LValue) { dirs[d.writeWWW(L, lua.LVAsString(k), v)] = true })
	var changes []change
	for dir := range dirs {
		if _, err := os.Stat(dir); err != nil {
			changes = append(changes, change{dir: dir, gone: true})
			continue
		}
		changes = append(changes, change{dir: dir, main: compileMain(dir, d.h.chunkName(filepath.Join(dir, "main.lua")))})
	}
	if !d.srv.Post(func() { d.h.applyChanges(changes) }) {
		L.RaiseError("reload: core queue refused")
	}
	return d.yield(L, nil)
}

// t.errors() returns the ERROR log records since the last call and claims
// them (each one: message and attributes).
func (d *eventDriver) luaErrors(L *lua.LState) int {
	out := L.NewTable()
	for _, e := range d.logs.takeErrors() {
		out.Append(lua.LString(e))
	}
	L.Push(out)
	return 1
}

// t.logs([substring]) returns the log records ("LEVEL message attrs")
// containing substring.
func (d *eventDriver) luaLogs(L *lua.LState) int {
	sub := L.OptString(1, "")
	out := L.NewTable()
	for _, r := range d.logs.all() {
		s := r.level + " " + r.text
		if strings.Contains(s, sub) {
			out.Append(lua.LString(s))
		}
	}
	L.Push(out)
	return 1
}
