package script

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync/atomic"

	lua "github.com/yuin/gopher-lua"
)

const (
	udpSocketTypeName = "UDPSocket"
	// udpMaxPending bounds the received bytes waiting for the loop; packets
	// past it are dropped (UDP may lose them anyway).
	udpMaxPending = 1 << 20
	// udpSendQueue is how many packets may wait for the writer goroutine.
	udpSendQueue = 256
)

// ErrNotBound: the UDP socket has no local address yet.
var ErrNotBound = errors.New("not bound")

// luaUDPSocket is a script UDP socket (reference §4.10). connect only sets
// the default destination and filters received packets to that peer.
type luaUDPSocket struct {
	object
	h     *Host
	owner *app
	u     *udpConn
	peer  netip.AddrPort // connected peer, invalid when none
}

// udpConn is the goroutine side of a bound UDP socket.
type udpConn struct {
	conn    *net.UDPConn
	cancel  context.CancelFunc
	local   netip.AddrPort
	out     chan udpPacket
	pending atomic.Int64
}

type udpPacket struct {
	data []byte
	to   netip.AddrPort
}

func (h *Host) registerUDPSocket() {
	k := h.newKind(udpSocketTypeName, map[string]lua.LGFunction{
		"bind":       h.udpBind,
		"connect":    h.udpConnect,
		"disconnect": h.udpDisconnect,
		"send":       h.udpSend,
		"close":      h.udpClose,
	})
	k.get = func(L *lua.LState, o luaObject, key string) (lua.LValue, bool) {
		us := o.(*luaUDPSocket)
		switch key {
		case "address":
			if us.u == nil {
				return lua.LNil, true
			}
			return h.newAddress(L, us.u.local, flavourOf(us.owner)), true
		case "peerAddress":
			if !us.peer.IsValid() {
				return lua.LNil, true
			}
			return h.newAddress(L, us.peer, flavourOf(us.owner)), true
		case "connected":
			return lua.LBool(us.peer.IsValid()), true
		}
		return nil, false
	}
	h.udpSocketKind = k
}

// monaCreateUDPSocket: mona:createUDPSocket([allowBroadcast]). The
// broadcast flag is accepted and ignored.
func (h *Host) monaCreateUDPSocket(L *lua.LState) int {
	us := &luaUDPSocket{h: h, owner: h.socketOwner(L)}
	h.udpSocketKind.wrap(L, us)
	h.socketRegistry().add(us.owner, us)
	L.Push(us.ud)
	return 1
}

func checkUDPSocket(h *Host, L *lua.LState) *luaUDPSocket {
	return h.udpSocketKind.check(L, 1).(*luaUDPSocket)
}

// udpBind: bind(addr[, port]) → M1 true/false (error logged), CU nil or
// an error text.
func (h *Host) udpBind(L *lua.LState) int {
	us := checkUDPSocket(h, L)
	addr, err := joinHostPort(L, 2)
	var ap netip.AddrPort
	if err == nil {
		ap, err = numericAddr(addr)
	}
	if err == nil && us.u != nil {
		err = errors.New("already bound")
	}
	if err == nil {
		err = us.bind(ap)
	}
	if err != nil {
		err = fmt.Errorf("UDPSocket bind: %w", err)
	}
	return socketResult(h, L, flavourOf(us.owner), err)
}

func (us *luaUDPSocket) bind(ap netip.AddrPort) error {
	conn, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(ap))
	if err != nil {
		return err
	}
	r := us.h.socketRegistry()
	r.add(us.owner, us)
	ctx, cancel := context.WithCancel(r.ctx)
	u := &udpConn{conn: conn, cancel: cancel, local: addrPortOf(conn.LocalAddr()), out: make(chan udpPacket, udpSendQueue)}
	us.u = u
	r.wg.Add(2)
	go us.h.readUDP(ctx, us, u)
	go u.writeLoop(ctx, r)
	return nil
}

// bindFor binds to the wildcard address of to's family if the socket is
// not bound yet.
func (us *luaUDPSocket) bindFor(to netip.AddrPort) error {
	if us.u != nil {
		return nil
	}
	wild := netip.IPv4Unspecified()
	if to.Addr().Is6() {
		wild = netip.IPv6Unspecified()
	}
	return us.bind(netip.AddrPortFrom(wild, 0))
}

func (h *Host) readUDP(ctx context.Context, us *luaUDPSocket, u *udpConn) {
	r := h.sockets
	defer r.wg.Done()
	defer closeOnCancel(ctx, u.conn)()
	defer u.conn.Close()
	buf := make([]byte, 65536)
	for {
		n, from, err := u.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if ctx.Err() == nil {
				h.log.Error("script: UDPSocket receive", "address", u.local.String(), "err", err)
			}
			return
		}
		if u.pending.Load()+int64(n) > udpMaxPending {
			continue // the script is behind: drop
		}
		u.pending.Add(int64(n))
		data := string(buf[:n])
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		h.post(func() {
			u.pending.Add(-int64(len(data)))
			us.received(u, data, from)
		})
	}
}

func (u *udpConn) writeLoop(ctx context.Context, r *socketRegistry) {
	defer r.wg.Done()
	for {
		select {
		case <-ctx.Done():
			return
		case p := <-u.out:
			to := p.to
			if u.local.Addr().Is6() && to.Addr().Is4() {
				to = netip.AddrPortFrom(netip.AddrFrom16(to.Addr().As16()), to.Port())
			}
			// A failed datagram is lost like any other: nothing to report.
			_, _ = u.conn.WriteToUDPAddrPort(p.data, to)
		}
	}
}

// received calls onPacket(data, "ip:port") (M1) or onReception(data,
// "ip:port") (CU); both may be defined: the app's flavour decides.
func (us *luaUDPSocket) received(u *udpConn, data string, from netip.AddrPort) {
	if us.u != u || (us.peer.IsValid() && us.peer != from) {
		return
	}
	onPacket, onReception := us.field("onPacket"), us.field("onReception")
	name, fn := "onPacket", onPacket
	if onPacket == lua.LNil || (onReception != lua.LNil && flavourOf(us.owner) == FlavourCumulus) {
		name, fn = "onReception", onReception
	}
	if fn == lua.LNil {
		return
	}
	h := us.h
	if _, err := h.call(us.owner, name, fn, us.ud, lua.LString(data), lua.LString(from.String())); err != nil {
		h.report(err)
	}
}

// udpConnect: connect(host[, port]) / connect("ip:port") → nil or an error
// text. An unbound socket is bound to the wildcard address first.
func (h *Host) udpConnect(L *lua.LState) int {
	us := checkUDPSocket(h, L)
	ap, err := udpDestination(L, 2)
	if err == nil {
		err = us.bindFor(ap)
	}
	if err != nil {
		L.Push(lua.LString(fmt.Errorf("UDPSocket connect: %w", err).Error()))
		return 1
	}
	us.peer = ap
	L.Push(lua.LNil)
	return 1
}

func udpDestination(L *lua.LState, n int) (netip.AddrPort, error) {
	addr, err := joinHostPort(L, n)
	if err != nil {
		return netip.AddrPort{}, err
	}
	ap, err := numericAddr(addr)
	if err == nil && (ap.Addr().IsUnspecified() || ap.Port() == 0) {
		err = fmt.Errorf("invalid destination %q", addr)
	}
	return ap, err
}

func (h *Host) udpDisconnect(L *lua.LState) int {
	checkUDPSocket(h, L).peer = netip.AddrPort{}
	return 0
}

// udpSend: send(data[, host[, port]]) → M1 true/false (error logged), CU
// nil or an error text. Without a destination the connected peer is used.
func (h *Host) udpSend(L *lua.LState) int {
	us := checkUDPSocket(h, L)
	data := L.CheckString(2)
	to, err := us.peer, error(nil)
	if L.Get(3) != lua.LNil {
		to, err = udpDestination(L, 3)
	} else if !to.IsValid() {
		err = ErrNotConnected
	}
	if err == nil {
		err = us.bindFor(to)
	}
	if err == nil {
		select {
		case us.u.out <- udpPacket{data: []byte(data), to: to}:
		default:
			err = ErrSocketQueueFull
		}
	}
	if err != nil {
		err = fmt.Errorf("UDPSocket send: %w", err)
	}
	return socketResult(h, L, flavourOf(us.owner), err)
}

func (h *Host) udpClose(L *lua.LState) int {
	checkUDPSocket(h, L).closeSilently()
	return 0
}

func (us *luaUDPSocket) closeSilently() {
	if us.u != nil {
		us.u.cancel()
		us.u = nil
	}
	us.peer = netip.AddrPort{}
}
