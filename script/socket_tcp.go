package script

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// Script sockets (reference §4.10): mona:createTCPClient, createTCPServer
// and createUDPSocket. Network I/O runs on goroutines of the socket
// registry; they post results to the owner goroutine, where the Lua events
// run under the script budget. Every socket belongs to the app that created
// it and is closed, without events, when that app stops or reloads and when
// the host closes.

const (
	// socketMaxUnconsumed is the most bytes a TCP client keeps that its
	// script did not consume; past it the connection is dropped.
	socketMaxUnconsumed = 1 << 20
	// socketMaxQueued bounds the bytes waiting to be sent on one socket.
	socketMaxQueued = 1 << 20
	socketReadSize  = 64 << 10
	// socketMaxCalls bounds the handler calls for one received chunk before
	// the loop is given back (the rest is offered again in a later task).
	socketMaxCalls     = 256
	socketDialTimeout  = 10 * time.Second
	socketFlushTimeout = 5 * time.Second
)

var (
	// ErrSocketOverflow: the script left more than socketMaxUnconsumed bytes
	// unconsumed.
	ErrSocketOverflow = errors.New("receive buffer overflow")
	// ErrSocketQueueFull: more than socketMaxQueued bytes wait to be sent.
	ErrSocketQueueFull = errors.New("send queue full")
	// ErrNotConnected: send on a socket without a peer.
	ErrNotConnected = errors.New("not connected")
)

const (
	tcpClientTypeName = "TCPClient"
	tcpServerTypeName = "TCPServer"
)

// scriptSocket is a socket object; closeSilently runs on the owner
// goroutine and releases its network resources without Lua events.
type scriptSocket interface {
	closeSilently()
}

// socketRegistry tracks the sockets of every app and the goroutines that
// serve them.
type socketRegistry struct {
	ctx    context.Context // cancelled when the host closes
	cancel context.CancelFunc
	wg     sync.WaitGroup
	byApp  map[*app]map[scriptSocket]struct{}
}

func (h *Host) socketRegistry() *socketRegistry {
	if h.sockets == nil {
		ctx, cancel := context.WithCancel(context.Background())
		h.sockets = &socketRegistry{ctx: ctx, cancel: cancel, byApp: make(map[*app]map[scriptSocket]struct{})}
	}
	return h.sockets
}

func (r *socketRegistry) add(a *app, s scriptSocket) {
	m := r.byApp[a]
	if m == nil {
		m = make(map[scriptSocket]struct{})
		r.byApp[a] = m
	}
	m[s] = struct{}{}
}

// closeAppSockets closes every socket created by a (app stop or reload).
func (h *Host) closeAppSockets(a *app) {
	if h.sockets == nil {
		return
	}
	m := h.sockets.byApp[a]
	delete(h.sockets.byApp, a)
	for s := range m {
		s.closeSilently()
	}
}

// closeSockets closes every socket and waits for their goroutines.
func (h *Host) closeSockets() {
	r := h.sockets
	if r == nil {
		return
	}
	for a := range r.byApp {
		h.closeAppSockets(a)
	}
	r.cancel()
	r.wg.Wait()
}

// socketOwner is the app a socket created by the running Lua code belongs to.
func (h *Host) socketOwner(L *lua.LState) *app {
	if _, a := h.callerPosition(L, 1); a != nil {
		return a
	}
	return h.root
}

func flavourOf(a *app) Flavour {
	if a == nil {
		return FlavourMona
	}
	return a.flavour
}

// joinHostPort reads (host, port), ("host:port") or (port) arguments from
// index n on.
func joinHostPort(L *lua.LState, n int) (string, error) {
	first := L.Get(n)
	if t, ok := first.(*lua.LTable); ok {
		// SocketAddress object of a MonaServer app.
		first = t.RawGetString("value")
	}
	second := L.Get(n + 1)
	switch {
	case second != lua.LNil:
		port, ok := toPort(second)
		if !ok {
			return "", fmt.Errorf("invalid port %q", second.String())
		}
		return net.JoinHostPort(first.String(), strconv.Itoa(port)), nil
	case first.Type() == lua.LTNumber:
		port, ok := toPort(first)
		if !ok {
			return "", fmt.Errorf("invalid port %q", first.String())
		}
		return ":" + strconv.Itoa(port), nil
	case first.Type() == lua.LTString:
		s := first.String()
		if _, _, err := net.SplitHostPort(s); err != nil {
			return "", fmt.Errorf("invalid address %q", s)
		}
		return s, nil
	}
	return "", fmt.Errorf("address expected")
}

func toPort(v lua.LValue) (int, bool) {
	var n float64
	switch x := v.(type) {
	case lua.LNumber:
		n = float64(x)
	case lua.LString:
		p, err := strconv.Atoi(string(x))
		if err != nil {
			return 0, false
		}
		n = float64(p)
	default:
		return 0, false
	}
	if n < 0 || n > 65535 || n != float64(int(n)) {
		return 0, false
	}
	return int(n), true
}

// numericAddr parses "ip:port" or ":port" (any address) without a DNS
// lookup: binding must not block the loop.
func numericAddr(s string) (netip.AddrPort, error) {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return netip.AddrPort{}, err
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("invalid port %q", port)
	}
	if host == "" {
		return netip.AddrPortFrom(netip.IPv6Unspecified(), uint16(p)), nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return netip.AddrPort{}, fmt.Errorf("%q is not an IP address", host)
	}
	return netip.AddrPortFrom(ip, uint16(p)), nil
}

// closeOnCancel closes c when ctx is cancelled. The returned function
// undoes that, or waits until the close finished: Close must not leave
// goroutines behind.
func closeOnCancel(ctx context.Context, c io.Closer) func() {
	done := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		c.Close()
		close(done)
	})
	return func() {
		if !stop() {
			<-done
		}
	}
}

func addrPortOf(a net.Addr) netip.AddrPort {
	switch x := a.(type) {
	case *net.TCPAddr:
		ap := x.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	case *net.UDPAddr:
		ap := x.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}

// tcpConn is the goroutine side of one TCP connection.
type tcpConn struct {
	ctx    context.Context
	cancel context.CancelFunc
	ack    chan struct{} // the loop finished with the last chunk

	mu       sync.Mutex
	out      []byte
	queued   int  // bytes in out plus the write in progress
	closing  bool // close once out is flushed
	writeErr error
	wake     chan struct{}
}

func newTCPConn(parent context.Context) *tcpConn {
	ctx, cancel := context.WithCancel(parent)
	return &tcpConn{ctx: ctx, cancel: cancel, ack: make(chan struct{}, 1), wake: make(chan struct{}, 1)}
}

func (tc *tcpConn) signal() {
	select {
	case tc.wake <- struct{}{}:
	default:
	}
}

// enqueue queues data for the writer goroutine (owner goroutine).
func (tc *tcpConn) enqueue(data []byte) error {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.queued+len(data) > socketMaxQueued {
		return ErrSocketQueueFull
	}
	tc.out = append(tc.out, data...)
	tc.queued += len(data)
	tc.signal()
	return nil
}

// closeAfterFlush ends the connection once queued data is written.
func (tc *tcpConn) closeAfterFlush() {
	tc.mu.Lock()
	tc.closing = true
	tc.mu.Unlock()
	tc.signal()
}

func (tc *tcpConn) writeLoop(conn net.Conn, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		select {
		case <-tc.ctx.Done():
			return
		case <-tc.wake:
		}
		tc.mu.Lock()
		b, closing := tc.out, tc.closing
		tc.out = nil
		tc.mu.Unlock()
		if len(b) > 0 {
			if closing {
				_ = conn.SetWriteDeadline(time.Now().Add(socketFlushTimeout))
			}
			_, err := conn.Write(b)
			tc.mu.Lock()
			tc.queued -= len(b)
			if err != nil && tc.ctx.Err() == nil {
				tc.writeErr = err
			}
			closing = tc.closing && len(tc.out) == 0
			tc.mu.Unlock()
			if err != nil {
				tc.cancel()
				return
			}
		}
		if closing {
			tc.cancel()
			return
		}
	}
}

// serve dials addr (conn nil) or serves an accepted conn until the
// connection ends; every result is posted to lc on the owner goroutine.
func (h *Host) serveTCP(tc *tcpConn, lc *luaTCPClient, gen uint64, addr string, conn net.Conn) {
	r := h.sockets
	defer r.wg.Done()
	defer tc.cancel()
	if conn == nil {
		d := net.Dialer{Timeout: socketDialTimeout}
		c, err := d.DialContext(tc.ctx, "tcp", addr)
		if err != nil {
			h.post(func() { lc.ended(gen, err) })
			return
		}
		conn = c
		local, peer := addrPortOf(conn.LocalAddr()), addrPortOf(conn.RemoteAddr())
		h.post(func() { lc.connected(gen, local, peer) })
	}
	defer closeOnCancel(tc.ctx, conn)()
	defer conn.Close()
	r.wg.Add(1)
	go tc.writeLoop(conn, &r.wg)
	err := tc.readLoop(h, conn, lc, gen)
	tc.mu.Lock()
	if tc.writeErr != nil {
		err = tc.writeErr
	}
	tc.mu.Unlock()
	h.post(func() { lc.ended(gen, err) })
}

// readLoop hands one chunk at a time to the loop and waits until the
// script has seen it: a fast peer is slowed by TCP flow control.
func (tc *tcpConn) readLoop(h *Host, conn net.Conn, lc *luaTCPClient, gen uint64) error {
	buf := make([]byte, socketReadSize)
	for {
		n, err := conn.Read(buf)
		if n > 0 {
			data := bytes.Clone(buf[:n])
			h.post(func() { lc.received(gen, data) })
			select {
			case <-tc.ack:
			case <-tc.ctx.Done():
				return nil
			}
		}
		if err != nil {
			if tc.ctx.Err() != nil || errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

type tcpState int

const (
	tcpIdle tcpState = iota
	tcpConnecting
	tcpConnected
)

// luaTCPClient is a TCP client object, connected by the script or accepted
// by a script TCP server.
type luaTCPClient struct {
	object
	h        *Host
	owner    *app
	state    tcpState
	gen      uint64 // identifies the current connection; stale posts are ignored
	tc       *tcpConn
	local    netip.AddrPort
	peer     netip.AddrPort
	rest     []byte // received bytes the script did not consume
	lastErr  string
	lastSend time.Time
}

func (h *Host) registerTCPClient() {
	k := h.newKind(tcpClientTypeName, map[string]lua.LGFunction{
		"connect":    h.tcpConnect,
		"disconnect": h.tcpDisconnect,
		"send":       h.tcpSend,
	})
	k.get = func(L *lua.LState, o luaObject, key string) (lua.LValue, bool) {
		return o.(*luaTCPClient).property(L, key)
	}
	h.tcpClientKind = k
}

func (h *Host) newTCPClient(L *lua.LState, owner *app) *luaTCPClient {
	lc := &luaTCPClient{h: h, owner: owner, lastSend: time.Now()}
	h.tcpClientKind.wrap(L, lc)
	h.socketRegistry().add(owner, lc)
	return lc
}

// monaCreateTCPClient: mona:createTCPClient().
func (h *Host) monaCreateTCPClient(L *lua.LState) int {
	L.Push(h.newTCPClient(L, h.socketOwner(L)).ud)
	return 1
}

func (lc *luaTCPClient) flavour() Flavour { return flavourOf(lc.owner) }

func (lc *luaTCPClient) property(L *lua.LState, key string) (lua.LValue, bool) {
	h := lc.h
	switch key {
	case "connected":
		return lua.LBool(lc.state == tcpConnected), true
	case "address", "peerAddress":
		a := lc.local
		if key == "peerAddress" {
			a = lc.peer
		}
		if lc.flavour() == FlavourCumulus {
			if lc.state != tcpConnected {
				return lua.LNil, true
			}
			return lua.LString(a.String()), true
		}
		return h.newAddress(L, a, FlavourMona), true
	case "idleTime":
		return lua.LNumber(time.Since(lc.lastSend).Milliseconds()), true
	case "error":
		if lc.lastErr == "" {
			return lua.LNil, true
		}
		return lua.LString(lc.lastErr), true
	}
	return nil, false
}

func checkTCPClient(h *Host, L *lua.LState) *luaTCPClient {
	return h.tcpClientKind.check(L, 1).(*luaTCPClient)
}

// tcpConnect: M1 connect(host[, port]) → true when the attempt started
// (false and an error log otherwise); CU → nil or an error text. A failed
// attempt ends with onDisconnection (M1 error argument, CU self.error).
func (h *Host) tcpConnect(L *lua.LState) int {
	lc := checkTCPClient(h, L)
	addr, err := joinHostPort(L, 2)
	if err == nil && lc.state != tcpIdle {
		err = errors.New("already connected")
	}
	if err != nil {
		return lc.result(L, fmt.Errorf("TCPClient connect: %w", err))
	}
	r := h.socketRegistry()
	r.add(lc.owner, lc) // again: the owner may have stopped and restarted
	lc.gen++
	lc.state, lc.lastErr, lc.rest = tcpConnecting, "", nil
	lc.peer, lc.local = netip.AddrPort{}, netip.AddrPort{}
	lc.tc = newTCPConn(r.ctx)
	r.wg.Add(1)
	go h.serveTCP(lc.tc, lc, lc.gen, addr, nil)
	return lc.result(L, nil)
}

// result pushes the flavour's answer: M1 a boolean (the error logged), CU
// nil or the error text.
func (lc *luaTCPClient) result(L *lua.LState, err error) int {
	return socketResult(lc.h, L, lc.flavour(), err)
}

func socketResult(h *Host, L *lua.LState, f Flavour, err error) int {
	if f == FlavourCumulus {
		if err != nil {
			L.Push(lua.LString(err.Error()))
		} else {
			L.Push(lua.LNil)
		}
		return 1
	}
	if err != nil {
		pos, _ := h.callerPosition(L, 1)
		h.log.Error("script: "+err.Error(), "at", pos)
	}
	L.Push(lua.LBool(err == nil))
	return 1
}

// tcpSend: send(data) → nil or an error text. Data sent while the
// connection is being established waits for it: MonaServer's and Cumulus'
// connect return once the attempt started (or completed), and scripts send
// right after it.
func (h *Host) tcpSend(L *lua.LState) int {
	lc := checkTCPClient(h, L)
	data := L.CheckString(2)
	var err error
	if lc.state == tcpIdle || lc.tc == nil {
		err = ErrNotConnected
	} else {
		err = lc.tc.enqueue([]byte(data))
	}
	if err != nil {
		L.Push(lua.LString(err.Error()))
		return 1
	}
	lc.lastSend = time.Now()
	L.Push(lua.LNil)
	return 1
}

// tcpDisconnect: disconnect() flushes what was sent, closes, and calls
// onDisconnection when the client was connected.
func (h *Host) tcpDisconnect(L *lua.LState) int {
	lc := checkTCPClient(h, L)
	switch lc.state {
	case tcpConnected:
		lc.tc.closeAfterFlush()
		lc.reset()
		lc.disconnected(nil)
	case tcpConnecting:
		lc.tc.cancel()
		lc.reset()
	}
	return 0
}

func (lc *luaTCPClient) reset() {
	lc.gen++
	lc.state, lc.tc, lc.rest = tcpIdle, nil, nil
}

func (lc *luaTCPClient) closeSilently() {
	if lc.tc != nil {
		lc.tc.cancel()
	}
	lc.reset()
}

// fail drops the connection because of err and tells the script.
func (lc *luaTCPClient) fail(err error) {
	if lc.tc != nil {
		lc.tc.cancel()
	}
	lc.reset()
	lc.disconnected(err)
}

func (lc *luaTCPClient) connected(gen uint64, local, peer netip.AddrPort) {
	if gen != lc.gen {
		return
	}
	lc.state, lc.local, lc.peer = tcpConnected, local, peer
	lc.lastSend = time.Now()
}

// ended: the connection of gen is over (err nil: closed by the peer).
func (lc *luaTCPClient) ended(gen uint64, err error) {
	if gen != lc.gen {
		return
	}
	lc.fail(err)
}

// disconnected calls onDisconnection: M1 (peerAddress[, error]), CU () with
// self.error set.
func (lc *luaTCPClient) disconnected(err error) {
	lc.lastErr = ""
	if err != nil {
		lc.lastErr = err.Error()
	}
	fn := lc.field("onDisconnection")
	if fn == lua.LNil {
		return
	}
	h := lc.h
	args := []lua.LValue{lc.ud}
	if lc.flavour() != FlavourCumulus {
		args = append(args, h.newAddress(h.L, lc.peer, FlavourMona))
		if err != nil {
			args = append(args, lua.LString(lc.lastErr))
		}
	}
	if _, err := h.call(lc.owner, "onDisconnection", fn, args...); err != nil {
		h.report(err)
	}
}

// handler picks the reception event: onData returns the bytes consumed
// (M1), onReception the bytes left (CU). Both may be defined: the app's
// flavour decides.
func (lc *luaTCPClient) handler() (name string, fn lua.LValue, returnsRest bool) {
	onData, onReception := lc.field("onData"), lc.field("onReception")
	switch {
	case onData == lua.LNil && onReception == lua.LNil:
		return "", lua.LNil, false
	case onData == lua.LNil, onReception != lua.LNil && lc.flavour() == FlavourCumulus:
		return "onReception", onReception, true
	}
	return "onData", onData, false
}

func (lc *luaTCPClient) received(gen uint64, data []byte) {
	if gen != lc.gen || lc.state != tcpConnected {
		return
	}
	lc.rest = append(lc.rest, data...)
	lc.deliver(gen)
}

// deliver offers the buffered bytes to the script until it consumes them
// all or stops consuming. A handler error counts as everything consumed.
func (lc *luaTCPClient) deliver(gen uint64) {
	h := lc.h
	for calls := 0; len(lc.rest) > 0; calls++ {
		if calls == socketMaxCalls {
			h.post(func() {
				if gen == lc.gen {
					lc.deliver(gen)
				}
			})
			return
		}
		name, fn, returnsRest := lc.handler()
		if fn == lua.LNil {
			lc.rest = lc.rest[:0]
			break
		}
		size := len(lc.rest)
		ret, err := h.call1(lc.owner, name, fn, lc.ud, lua.LString(lc.rest))
		if gen != lc.gen {
			return // the handler disconnected or reconnected
		}
		consumed := size
		if err != nil {
			h.report(err)
		} else if n, ok := ret.(lua.LNumber); ok {
			k := max(0, min(size, int(n)))
			if returnsRest {
				consumed = size - k
			} else {
				consumed = k
			}
		}
		lc.rest = append(lc.rest[:0], lc.rest[consumed:]...)
		if consumed == 0 {
			break
		}
	}
	if len(lc.rest) > socketMaxUnconsumed {
		lc.fail(fmt.Errorf("%w (%d bytes unconsumed)", ErrSocketOverflow, len(lc.rest)))
		return
	}
	if len(lc.rest) == 0 {
		lc.rest = nil
	}
	select {
	case lc.tc.ack <- struct{}{}:
	default:
	}
}

// luaTCPServer is a script TCP server (M1 start/stop/running/address,
// onConnection; CU start(port)/port, clientHandler).
type luaTCPServer struct {
	object
	h     *Host
	owner *app
	ln    *tcpListener
}

type tcpListener struct {
	ln     net.Listener
	cancel context.CancelFunc
	addr   netip.AddrPort
}

func (h *Host) registerTCPServer() {
	k := h.newKind(tcpServerTypeName, map[string]lua.LGFunction{
		"start": h.tcpServerStart,
		"stop":  h.tcpServerStop,
	})
	k.get = func(L *lua.LState, o luaObject, key string) (lua.LValue, bool) {
		ls := o.(*luaTCPServer)
		switch key {
		case "running":
			return lua.LBool(ls.ln != nil), true
		case "port":
			if ls.ln == nil {
				return lua.LNumber(0), true
			}
			return lua.LNumber(ls.ln.addr.Port()), true
		case "address":
			if ls.ln == nil {
				return lua.LNil, true
			}
			return h.newAddress(L, ls.ln.addr, flavourOf(ls.owner)), true
		}
		return nil, false
	}
	h.tcpServerKind = k
}

// monaCreateTCPServer: mona:createTCPServer().
func (h *Host) monaCreateTCPServer(L *lua.LState) int {
	ls := &luaTCPServer{h: h, owner: h.socketOwner(L)}
	h.tcpServerKind.wrap(L, ls)
	h.socketRegistry().add(ls.owner, ls)
	L.Push(ls.ud)
	return 1
}

// tcpServerStart: start(port | "ip:port" | ip, port) → true, or false with
// an error log. A running server is restarted on the new address. Host
// names are refused (resolving them would block the loop).
func (h *Host) tcpServerStart(L *lua.LState) int {
	ls := h.tcpServerKind.check(L, 1).(*luaTCPServer)
	addr, err := joinHostPort(L, 2)
	var ap netip.AddrPort
	if err == nil {
		ap, err = numericAddr(addr)
	}
	ls.closeSilently()
	var ln net.Listener
	if err == nil {
		ln, err = net.ListenTCP("tcp", net.TCPAddrFromAddrPort(ap))
	}
	if err != nil {
		return socketResult(h, L, FlavourMona, fmt.Errorf("TCPServer start: %w", err))
	}
	r := h.socketRegistry()
	r.add(ls.owner, ls)
	ctx, cancel := context.WithCancel(r.ctx)
	tl := &tcpListener{ln: ln, cancel: cancel, addr: addrPortOf(ln.Addr())}
	ls.ln = tl
	r.wg.Add(1)
	go h.acceptTCP(ctx, ls, tl)
	L.Push(lua.LTrue)
	return 1
}

func (h *Host) tcpServerStop(L *lua.LState) int {
	h.tcpServerKind.check(L, 1).(*luaTCPServer).closeSilently()
	return 0
}

func (ls *luaTCPServer) closeSilently() {
	if ls.ln != nil {
		ls.ln.cancel()
		ls.ln = nil
	}
}

// acceptTCP hands accepted connections to the loop one at a time; a
// connection the loop never took (server stopped, host closed) is closed
// here.
func (h *Host) acceptTCP(ctx context.Context, ls *luaTCPServer, tl *tcpListener) {
	r := h.sockets
	defer r.wg.Done()
	defer closeOnCancel(ctx, tl.ln)()
	defer tl.ln.Close()
	taken := make(chan struct{}, 1)
	for {
		conn, err := tl.ln.Accept()
		if err != nil {
			if ctx.Err() == nil {
				h.log.Error("script: TCPServer accept", "address", tl.addr.String(), "err", err)
				h.post(func() {
					if ls.ln == tl {
						ls.ln = nil
					}
				})
			}
			return
		}
		var claimed atomic.Bool
		h.post(func() {
			if claimed.CompareAndSwap(false, true) {
				ls.accepted(tl, conn)
				taken <- struct{}{}
			}
		})
		select {
		case <-taken:
		case <-ctx.Done():
			if claimed.CompareAndSwap(false, true) {
				conn.Close()
			}
			return
		}
	}
}

// accepted wraps conn in a connected TCP client and calls onConnection (M1)
// or clientHandler (CU). Without either handler nobody could use the
// client: it is closed.
func (ls *luaTCPServer) accepted(tl *tcpListener, conn net.Conn) {
	h := ls.h
	name, fn := ls.handler()
	if ls.ln != tl || fn == lua.LNil {
		conn.Close()
		return
	}
	lc := h.newTCPClient(h.L, ls.owner)
	lc.gen++
	lc.state = tcpConnected
	lc.local, lc.peer = addrPortOf(conn.LocalAddr()), addrPortOf(conn.RemoteAddr())
	lc.tc = newTCPConn(h.sockets.ctx)
	h.sockets.wg.Add(1)
	go h.serveTCP(lc.tc, lc, lc.gen, "", conn)
	if _, err := h.call(ls.owner, name, fn, ls.ud, lc.ud); err != nil {
		h.report(err)
	}
}

func (ls *luaTCPServer) handler() (string, lua.LValue) {
	onConnection, clientHandler := ls.field("onConnection"), ls.field("clientHandler")
	switch {
	case onConnection == lua.LNil:
		return "clientHandler", clientHandler
	case clientHandler != lua.LNil && flavourOf(ls.owner) == FlavourCumulus:
		return "clientHandler", clientHandler
	}
	return "onConnection", onConnection
}
