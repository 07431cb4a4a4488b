package rtmfp

import (
	"crypto/sha256"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"nimbus/rtmfp/crypto"
	"nimbus/rtmfp/wire"
)

// Session timing (RFC 7016 §3.5.5, rtmfp-cpp params.hpp, MonaServer 2).
const (
	// closeResendInterval and closeGiveUp drive NEARCLOSE: 0x0c every 5 s
	// until 0x4c or 90 s.
	closeResendInterval = 5 * time.Second
	closeGiveUp         = 90 * time.Second
	// closeLinger keeps a closed session to answer its stray packets with
	// 0x4c (FARCLOSE_LINGER); strayAckInterval rate-limits those answers.
	closeLinger      = 19 * time.Second
	strayAckInterval = 2 * time.Second
	// flushTimeout bounds how long an orderly close waits for queued data.
	flushTimeout = 5 * time.Second
	// tsEchoValidity: no timestamp echo after this much silence.
	tsEchoValidity = 128 * time.Second
	// tsTick is the timestamp unit.
	tsTick = 4 * time.Millisecond
	// mobilityRetry and mobilityTries drive the address check.
	mobilityRetry = time.Second
	mobilityTries = 3
	// maxPingReplies bounds the ping replies queued per session.
	maxPingReplies = 4
	// maxPingBody bounds an echoed ping body.
	maxPingBody = 64
	// maxControlChunks bounds queued FIHellos and exceptions.
	maxControlChunks = 64
	// maxPacketsPerFlush bounds one send pass.
	maxPacketsPerFlush = 64
)

// Session states.
const (
	stateOpen      uint8 = iota
	stateFlushing        // Close called: waiting for queued data (bounded)
	stateNearClose       // 0x0c sent, waiting for 0x4c
	stateLinger          // closed; answers stray packets with 0x4c
	stateGone            // removed from its loop
)

// Session is an established RTMFP session, in either role. Methods
// documented safe from any goroutine post to the session's loop; handler
// callbacks run on that loop.
type Session struct {
	ep    *Endpoint
	loop  *loop
	timer timerEntry

	id, farID uint32
	initiator bool
	farPeerID [32]byte
	nearNonce [32]byte
	farNonce  [32]byte
	cipher    *crypto.SessionCipher
	sendMode  wire.Mode
	farMode   wire.Mode
	bodyMax   int // largest packet body (header ‖ chunks) that fits 1192 bytes

	remoteMu   sync.Mutex
	remoteAddr netip.AddrPort
	rttNanos   atomic.Int64
	lastRecvNs atomic.Int64
	gone       atomic.Bool
	closing    atomic.Bool // Close was called: not handed out again by DialPeer
	counters   sessionCounters
	nextFlowID atomic.Uint64
	sendFlowsN atomic.Int32

	handler SessionHandler

	// Loop-only state.
	addr        netip.AddrPort
	state       uint8
	dirty       bool
	recvFlows   map[uint64]*RecvFlow
	sendFlows   map[uint64]*SendFlow
	sendList    []*SendFlow
	sendCursor  int
	retransmitQ []fragRef
	ackFlows    []*RecvFlow
	cc          congestion
	limited     bool      // the last send pass stopped at a full window
	paceAt      time.Time // next send pass after a burst-limited one

	lingeringRecv bool
	nextSweep     time.Time

	farTS    uint16
	farTSAt  time.Time
	hasFarTS bool
	lastRecv time.Time
	progress time.Time // last ack progress, or when nothing was outstanding

	nextPing    time.Time // keepalive ping due (zero: not pinging)
	pingDue     bool
	pingReplies [][]byte

	mobility *mobilityCheck

	closeStarted time.Time
	nextClose    time.Time
	closeDue     bool // send 0x0c
	closeAckDue  bool // send 0x4c
	lastCloseAck time.Time
	lingerUntil  time.Time
	closedErr    error

	control    [][]byte // encoded chunks waiting for the next packet
	exceptions []wire.FlowException
}

type fragRef struct {
	f   *SendFlow
	seq uint64
}

type mobilityCheck struct {
	addr   netip.AddrPort
	body   [9]byte
	sentAt time.Time
	tries  int
}

// newSession builds a session from a completed handshake.
func newSession(ep *Endpoint, l *loop, initiator bool, farID uint32, addr netip.AddrPort, cipher *crypto.SessionCipher, farPeerID [32]byte, now time.Time) *Session {
	s := &Session{
		ep:         ep,
		loop:       l,
		initiator:  initiator,
		farID:      farID,
		farPeerID:  farPeerID,
		cipher:     cipher,
		nearNonce:  cipher.NearNonce(),
		farNonce:   cipher.FarNonce(),
		remoteAddr: addr,
		addr:       addr,
		lastRecv:   now,
		progress:   now,
	}
	s.timer = timerEntry{index: -1, owner: s}
	if initiator {
		s.sendMode, s.farMode = wire.ModeInitiator, wire.ModeResponder
	} else {
		s.sendMode, s.farMode = wire.ModeResponder, wire.ModeInitiator
	}
	s.lastRecvNs.Store(now.UnixNano())
	s.cc.init()
	s.bodyMax = bodyMax(cipher.Mode())
	return s
}

// bodyMax is the largest body that keeps the datagram within 1192 bytes:
// 4 (SSID) + pad16(prefix + body) + HMAC.
func bodyMax(m crypto.Mode) int {
	room := (wire.MaxPacketSize - 4 - m.SendHMACLen) &^ 15
	prefix := 0
	if m.SendHMACLen == 0 {
		prefix += 2
	}
	if m.SendSSeq {
		prefix += wire.MaxVLULen
	}
	return room - prefix
}

// ID is our session ID: the SSID of packets the far end sends us.
func (s *Session) ID() uint32 { return s.id }

// FarID is the far end's session ID: the SSID of the packets we send.
func (s *Session) FarID() uint32 { return s.farID }

// FarPeerID is the fingerprint of the far end's certificate: a Flash
// client's peer ID, or a server's farID.
func (s *Session) FarPeerID() [32]byte { return s.farPeerID }

// NearNonce is this end's session nonce (AS3 NetConnection.nearNonce).
func (s *Session) NearNonce() []byte { return append([]byte(nil), s.nearNonce[:]...) }

// FarNonce is the far end's session nonce (AS3 NetConnection.farNonce).
func (s *Session) FarNonce() []byte { return append([]byte(nil), s.farNonce[:]...) }

// Initiator reports whether this end opened the session.
func (s *Session) Initiator() bool { return s.initiator }

// Endpoint is the endpoint owning the session.
func (s *Session) Endpoint() *Endpoint { return s.ep }

// RemoteAddr is the far end's current address (it changes with mobility).
func (s *Session) RemoteAddr() netip.AddrPort {
	s.remoteMu.Lock()
	defer s.remoteMu.Unlock()
	return s.remoteAddr
}

// RTT is the smoothed round-trip time (0 before the first sample).
func (s *Session) RTT() time.Duration { return time.Duration(s.rttNanos.Load()) }

// LastReception is when the last valid packet arrived.
func (s *Session) LastReception() time.Time { return time.Unix(0, s.lastRecvNs.Load()) }

// Stats returns the session's counters.
func (s *Session) Stats() SessionStats { return s.counters.snapshot() }

func (s *Session) isGone() bool { return s.gone.Load() }

// live reports whether the session is established and nobody asked to
// close it: one that P2P dials may hand out again.
func (s *Session) live() bool { return !s.gone.Load() && !s.closing.Load() }

func (s *Session) log() *slog.Logger { return s.ep.log }

// post runs fn on the session's loop (if the session still exists then).
func (s *Session) post(fn func()) bool {
	return s.loop.post(func() {
		if s.state >= stateLinger {
			return
		}
		fn()
		s.loop.markDirty(s)
	})
}

// OpenFlow opens a send flow with the given metadata, associated to the far
// flow returnFor (0 for none). Safe from any goroutine; the flow can be
// written to at once.
func (s *Session) OpenFlow(metadata []byte, returnFor uint64) (*SendFlow, error) {
	if s.isGone() {
		return nil, ErrSessionClosed
	}
	if len(metadata) > maxMetadataLen {
		return nil, ErrTooLarge
	}
	if int(s.sendFlowsN.Add(1)) > s.ep.cfg.MaxFlowsPerSession {
		s.sendFlowsN.Add(-1)
		return nil, ErrTooManyFlows
	}
	f := &SendFlow{
		s:         s,
		id:        s.nextFlowID.Add(1),
		metadata:  append([]byte(nil), metadata...),
		returnFor: returnFor,
		farWindow: initialFarWindow,
	}
	f.options = wire.AppendMetadataOption(nil, f.metadata)
	if returnFor != 0 {
		f.options = wire.AppendReturnAssociationOption(f.options, returnFor)
	}
	ok := s.loop.post(func() {
		if s.state >= stateLinger {
			f.state.Store(flowGone)
			return
		}
		if s.sendFlows == nil {
			s.sendFlows = make(map[uint64]*SendFlow)
		}
		s.sendFlows[f.id] = f
		s.counters.flowsOut.Add(1)
	})
	if !ok {
		s.sendFlowsN.Add(-1)
		return nil, ErrSessionClosed
	}
	return f, nil
}

// ForwardHello sends Forwarded IHello chunks (0x0f) in this session, one
// per reply address: the rendezvous server's half of a P2P introduction.
// Safe from any goroutine.
func (s *Session) ForwardHello(epd []byte, replyTo []Address, tag []byte) error {
	if s.isGone() {
		return ErrSessionClosed
	}
	var chunks [][]byte
	for _, a := range replyTo {
		c := wire.ForwardedIHello{EPD: epd, ReplyAddress: wire.Address{AddrPort: a.AddrPort, Origin: a.Origin}, Tag: tag}
		if c.Len() > s.bodyMax-wire.MaxHeaderLen {
			return ErrTooLarge
		}
		chunks = append(chunks, c.Append(nil))
	}
	if !s.post(func() {
		for _, c := range chunks {
			if len(s.control) < maxControlChunks {
				s.control = append(s.control, c)
			}
		}
	}) {
		return ErrSessionClosed
	}
	return nil
}

// Close closes the session in order: queued data is sent first (for up to
// 5 s), then Session Close Requests (0x0c) are repeated until the far end
// acknowledges (0x4c) or 90 s pass. OnClosed(nil) follows. Safe from any
// goroutine.
func (s *Session) Close() error {
	if s.isGone() {
		return nil
	}
	s.closing.Store(true)
	if !s.loop.post(func() { s.beginClose(s.loop.now) }) {
		return ErrSessionClosed
	}
	return nil
}

// beginClose starts an orderly close (loop only).
func (s *Session) beginClose(now time.Time) {
	if s.state != stateOpen {
		return
	}
	s.closing.Store(true)
	s.state = stateFlushing
	s.closeStarted = now
	s.checkFlushed(now)
	s.loop.markDirty(s)
}

// checkFlushed moves a flushing session to NEARCLOSE once nothing waits.
func (s *Session) checkFlushed(now time.Time) {
	if s.state != stateFlushing {
		return
	}
	if s.hasPendingData() && now.Sub(s.closeStarted) < flushTimeout {
		return
	}
	s.state = stateNearClose
	s.closeStarted = now
	s.closeDue = true
	s.nextClose = now.Add(closeResendInterval)
}

func (s *Session) hasPendingData() bool {
	if s.cc.inflight > 0 || len(s.retransmitQ) > 0 {
		return true
	}
	for _, f := range s.sendFlows {
		if f.hasUnsent() {
			return true
		}
	}
	return false
}

// terminate ends the session: OnClosed(err) once, flows released, index
// entries removed. With linger the session stays in its loop for a while
// to answer stray packets with 0x4c.
func (s *Session) terminate(err error, linger bool) {
	if s.state >= stateLinger {
		if !linger && s.state == stateLinger {
			s.remove()
		}
		return
	}
	s.state = stateLinger
	s.closedErr = err
	s.gone.Store(true)
	for _, f := range s.sendFlows {
		f.state.Store(flowGone)
		for i := f.head; i < len(f.frags); i++ {
			f.release(&f.frags[i])
		}
		f.frags = nil
	}
	if h := s.handler; h != nil {
		h.OnClosed(err)
	}
	s.recvFlows = nil
	s.sendFlows = nil
	s.sendList = nil
	s.retransmitQ = nil
	s.ackFlows = nil
	s.control = nil
	s.exceptions = nil
	s.pingReplies = nil
	s.ep.sessionClosed(s)
	if linger {
		s.lingerUntil = s.loop.now.Add(closeLinger)
		s.reschedule()
		return
	}
	s.remove()
}

// remove forgets a terminated session.
func (s *Session) remove() {
	s.state = stateGone
	s.loop.unschedule(&s.timer)
	if s.loop.sessions[s.id] == s {
		delete(s.loop.sessions, s.id)
	}
}

// abort sends a Session Close Acknowledgement (abrupt close) and ends the
// session without lingering.
func (s *Session) abort(err error) {
	if s.state >= stateLinger {
		return
	}
	s.sendCloseAck(s.loop.now)
	s.terminate(err, false)
}

// sendCloseAck sends a packet holding only 0x4c.
func (s *Session) sendCloseAck(now time.Time) {
	body := s.startBody(now)
	body = wire.SessionCloseAck{}.Append(body)
	s.sendBody(now, body, s.addr)
	s.lastCloseAck = now
}

// setRemote changes the far address (mobility).
func (s *Session) setRemote(addr netip.AddrPort) {
	old := s.addr
	s.addr = addr
	s.remoteMu.Lock()
	s.remoteAddr = addr
	s.remoteMu.Unlock()
	s.ep.addrs.move(old, addr, s)
	if h := s.handler; h != nil {
		h.OnAddressChanged(old, addr)
	}
}

// timestamp is the endpoint clock in 4 ms ticks.
func (s *Session) timestamp(now time.Time) uint16 { return s.ep.timestamp(now) }

// onTimer implements timerOwner.
func (s *Session) onTimer(now time.Time) {
	switch s.state {
	case stateGone:
		return
	case stateLinger:
		if !now.Before(s.lingerUntil) {
			s.remove()
			return
		}
		s.reschedule()
		return
	}
	s.tick(now)
	if s.state < stateLinger {
		s.loop.markDirty(s)
	}
	s.reschedule()
}

// tick applies every time-driven rule.
func (s *Session) tick(now time.Time) {
	idle := s.ep.cfg.IdleTimeout
	if now.Sub(s.lastRecv) >= idle {
		s.log().Debug("rtmfp: session idle", slog.Uint64("sid", uint64(s.id)))
		s.terminate(ErrIdleTimeout, false)
		return
	}
	switch s.state {
	case stateFlushing:
		s.checkFlushed(now)
	case stateNearClose:
		if now.Sub(s.closeStarted) >= closeGiveUp {
			s.terminate(nil, false)
			return
		}
		if !now.Before(s.nextClose) {
			s.closeDue = true
			s.nextClose = now.Add(closeResendInterval)
		}
	}
	// Retransmission timeout: everything in flight is lost.
	if at, ok := s.cc.rtoDeadline(); ok && !now.Before(at) {
		s.onRTO(now)
	}
	if (s.cc.inflight > 0 || len(s.retransmitQ) > 0) && now.Sub(s.progress) >= idle {
		s.terminate(ErrRetransmitLimit, false)
		return
	}
	for _, f := range s.sendFlows {
		f.abandonExpired(now)
	}
	// Keepalive: ping after Keepalive of silence, then at the ERTO pace.
	if now.Sub(s.lastRecv) >= s.ep.cfg.Keepalive {
		if s.nextPing.IsZero() || !now.Before(s.nextPing) {
			s.pingDue = true
			interval := min(max(s.cc.erto, time.Second), s.ep.cfg.Keepalive)
			s.nextPing = now.Add(interval)
		}
	}
	if m := s.mobility; m != nil && now.Sub(m.sentAt) >= mobilityRetry {
		if m.tries >= mobilityTries {
			s.mobility = nil
		} else {
			s.sendMobilityPing(now)
		}
	}
	if s.lingeringRecv && !now.Before(s.nextSweep) {
		s.sweepRecvFlows(now)
	}
}

// onRTO handles an expired retransmission timer.
func (s *Session) onRTO(now time.Time) {
	for _, f := range s.sendFlows {
		for i := f.head; i < f.unsent; i++ {
			fr := &f.frags[i]
			if fr.state == fragInFlight {
				fr.state = fragLost
				f.outstanding -= len(fr.data)
				s.queueRetransmit(f, fr.seq)
			}
		}
	}
	s.cc.onTimeout(now)
}

// sweepRecvFlows forgets finished receive flows whose linger expired.
func (s *Session) sweepRecvFlows(now time.Time) {
	still := false
	for id, f := range s.recvFlows {
		if f.lingerUntil.IsZero() {
			continue
		}
		if !now.Before(f.lingerUntil) {
			delete(s.recvFlows, id)
			continue
		}
		still = true
	}
	s.lingeringRecv = still
	s.nextSweep = now.Add(10 * time.Second)
}

// reschedule arms the session timer at its earliest deadline.
func (s *Session) reschedule() {
	var at time.Time
	set := func(t time.Time) {
		if !t.IsZero() && (at.IsZero() || t.Before(at)) {
			at = t
		}
	}
	switch s.state {
	case stateGone:
		return
	case stateLinger:
		set(s.lingerUntil)
		s.loop.schedule(&s.timer, at)
		return
	}
	cfg := &s.ep.cfg
	set(s.lastRecv.Add(cfg.IdleTimeout))
	if s.nextPing.IsZero() {
		set(s.lastRecv.Add(cfg.Keepalive))
	} else {
		set(s.nextPing)
	}
	for _, f := range s.ackFlows {
		if f.ackPending {
			set(f.ackDeadline)
		}
	}
	if t, ok := s.cc.rtoDeadline(); ok {
		set(t)
	}
	if s.cc.inflight > 0 || len(s.retransmitQ) > 0 {
		set(s.progress.Add(cfg.IdleTimeout))
	}
	for _, f := range s.sendFlows {
		if t, ok := f.nextDeadline(); ok {
			set(t)
		}
	}
	switch s.state {
	case stateFlushing:
		set(s.closeStarted.Add(flushTimeout))
	case stateNearClose:
		set(s.nextClose)
		set(s.closeStarted.Add(closeGiveUp))
	}
	if s.mobility != nil {
		set(s.mobility.sentAt.Add(mobilityRetry))
	}
	set(s.paceAt)
	if s.lingeringRecv {
		set(s.nextSweep)
	}
	s.loop.schedule(&s.timer, at)
}

// markSendable lists a flow for the send pass.
func (s *Session) markSendable(f *SendFlow) {
	if !f.inSendList {
		f.inSendList = true
		s.sendList = append(s.sendList, f)
	}
}

// queueRetransmit lists a fragment for retransmission.
func (s *Session) queueRetransmit(f *SendFlow, seq uint64) {
	s.retransmitQ = append(s.retransmitQ, fragRef{f: f, seq: seq})
}

// finishSendFlow forgets a send flow whose FIN was acknowledged.
func (s *Session) finishSendFlow(f *SendFlow) {
	if f.done {
		return
	}
	f.done = true
	f.state.CompareAndSwap(flowOpen, flowGone) // a rejected flow stays rejected
	delete(s.sendFlows, f.id)
	s.sendFlowsN.Add(-1)
}

// rejectRecvFlow refuses a flow (0x5e) and drops what it buffered.
func (s *Session) rejectRecvFlow(f *RecvFlow, code uint64) {
	if f.rejected {
		return
	}
	f.rejected = true
	f.rejectCode = code
	for seq := range f.ooo {
		delete(f.ooo, seq)
	}
	f.ooo = nil
	f.partial = nil
	f.assembling = false
	f.buffered = 0
	f.ranges = f.ranges[:0]
	if len(s.exceptions) < maxControlChunks {
		s.exceptions = append(s.exceptions, wire.FlowException{FlowID: f.id, Code: code})
	}
	f.markAck(s.loop.now, true)
	if !f.ended {
		f.ended = true
		f.lingerUntil = s.loop.now.Add(recvFlowLinger)
		s.lingeringRecv = true
		if s.nextSweep.IsZero() {
			s.nextSweep = s.loop.now.Add(10 * time.Second)
		}
		if h := s.handler; h != nil {
			h.OnFlowEnd(f)
		}
	}
}

// fragmentSize is the data carried by one fragment of f: a whole packet
// minus the header, the user-data chunk header with room for large
// sequence numbers, the flow's options, and a small ack.
func (s *Session) fragmentSize(f *SendFlow) int {
	n := s.bodyMax - wire.MaxHeaderLen - wire.ChunkHeaderLen - 1 - wire.VLULen(f.id) - 2*5 - len(f.options) - 1 - 32
	return max(n, 64)
}

// peerIDOf is the fingerprint of a certificate.
func peerIDOf(cert wire.Certificate) [32]byte { return sha256.Sum256(cert.Canonical()) }
