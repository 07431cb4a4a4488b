package rtmfp

import (
	"bytes"
	"crypto/rand"
	"log/slog"
	"net/netip"
	"time"

	"nimbus/rtmfp/wire"
)

// onPacket handles a datagram addressed to this session (loop only).
func (s *Session) onPacket(now time.Time, from netip.AddrPort, pkt []byte) {
	if s.state == stateGone {
		return
	}
	n := len(pkt)
	body, err := s.cipher.Open(pkt)
	if err != nil {
		s.ep.stats.droppedMalformed.Add(1)
		return
	}
	h, hn, err := wire.ParseHeader(body)
	if err != nil {
		s.ep.stats.droppedMalformed.Add(1)
		return
	}
	if h.Mode() != s.farMode {
		// Our own mode is a reflection; startup packets in a session only
		// carry handshake chunks, which an open session ignores.
		s.ep.stats.droppedBadMode.Add(1)
		return
	}
	s.counters.packetsIn.Add(1)
	s.counters.bytesIn.Add(uint64(n))
	if s.state == stateLinger {
		s.onStrayPacket(now, from, body[hn:])
		return
	}
	s.lastRecv = now
	s.lastRecvNs.Store(now.UnixNano())
	s.nextPing = time.Time{}
	s.pingDue = false
	if h.HasTimestamp() {
		s.farTS = h.Timestamp
		s.farTSAt = now
		s.hasFarTS = true
	}
	if h.HasTimestampEcho() {
		s.rttFromEcho(now, h.TimestampEcho)
	}
	if h.TimeCritical() {
		s.ep.noteTimeCritical(now, s.id)
	}
	s.onChunks(now, from, body[hn:])
	if s.state < stateLinger && from != s.addr {
		s.checkMobility(now, from)
	}
	s.loop.markDirty(s)
}

// onChunks dispatches the chunks of a session packet.
func (s *Session) onChunks(now time.Time, from netip.AddrPort, chunks []byte) {
	r := wire.NewChunkReader(chunks)
	var prev wire.UserData
	havePrev := false
	var touched [8]*RecvFlow
	nTouched := 0
	touch := func(f *RecvFlow) {
		for i := 0; i < nTouched; i++ {
			if touched[i] == f {
				return
			}
		}
		if nTouched < len(touched) {
			touched[nTouched] = f
			nTouched++
		} else {
			f.ackNow = true
		}
	}
	for s.state < stateLinger {
		c, ok := r.Next()
		if !ok {
			break
		}
		isData := c.Type == wire.ChunkUserData || c.Type == wire.ChunkNextUserData
		if !isData {
			havePrev = false
		}
		switch c.Type {
		case wire.ChunkUserData:
			u, _, err := wire.ParseUserData(c.Value)
			if err != nil {
				s.ep.stats.droppedMalformed.Add(1)
				return
			}
			prev, havePrev = u, true
			if f := s.onUserData(now, u); f != nil {
				touch(f)
			}
		case wire.ChunkNextUserData:
			if !havePrev {
				return // only valid after a User Data chunk of the same packet
			}
			nu, _, err := wire.ParseNextUserData(c.Value)
			if err != nil {
				s.ep.stats.droppedMalformed.Add(1)
				return
			}
			u := nu.Follow(prev)
			prev = u
			if f := s.onUserData(now, u); f != nil {
				touch(f)
			}
		case wire.ChunkAckRanges:
			a, _, err := wire.ParseAckRanges(c.Value, s.loop.ackRanges[:0])
			if err == nil {
				s.onAck(now, a)
			}
		case wire.ChunkAckBitmap:
			b, _, err := wire.ParseAckBitmap(c.Value)
			if err == nil {
				s.onAck(now, b.Ack(s.loop.ackRanges[:0]))
			}
		case wire.ChunkPing:
			s.onPing(now, from, c.Value)
		case wire.ChunkPingReply:
			s.onPingReply(now, from, c.Value)
		case wire.ChunkBufferProbe:
			if p, _, err := wire.ParseBufferProbe(c.Value); err == nil {
				if f := s.recvFlows[p.FlowID]; f != nil {
					f.markAck(now, true)
				}
			}
		case wire.ChunkFlowException:
			if e, _, err := wire.ParseFlowException(c.Value); err == nil {
				if f := s.sendFlows[e.FlowID]; f != nil && f.state.Load() == flowOpen {
					s.log().Debug("rtmfp: flow rejected by peer", slog.Uint64("flow", f.id), slog.Uint64("code", e.Code))
					f.reject()
				}
			}
		case wire.ChunkSessionClose:
			s.onCloseRequest(now)
		case wire.ChunkSessionCloseAck:
			if s.state == stateNearClose {
				s.terminate(nil, false)
			} else {
				s.terminate(ErrAborted, false)
			}
			return
		case wire.ChunkForwardedIHello:
			if fh, _, err := wire.ParseForwardedIHello(c.Value); err == nil {
				s.ep.onForwardedHello(now, s, fh)
			}
		}
	}
	for i := 0; i < nTouched; i++ {
		touched[i].notePacket()
	}
}

// onUserData routes a fragment to its receive flow, creating the flow on
// its first fragment (which must carry metadata).
func (s *Session) onUserData(now time.Time, u wire.UserData) *RecvFlow {
	f := s.recvFlows[u.FlowID]
	if f == nil {
		f = s.newRecvFlow(now, u)
		if f == nil {
			return nil
		}
	}
	f.onUserData(now, u)
	return f
}

// newRecvFlow opens a flow announced by the far end, or rejects it.
func (s *Session) newRecvFlow(now time.Time, u wire.UserData) *RecvFlow {
	reject := func() *RecvFlow {
		if len(s.exceptions) < maxControlChunks {
			s.exceptions = append(s.exceptions, wire.FlowException{FlowID: u.FlowID})
		}
		return nil
	}
	if u.Flags&wire.UserDataHasOptions == 0 {
		return reject()
	}
	md, ok := u.Metadata()
	if !ok || len(md) > maxMetadataLen {
		return reject()
	}
	for o := range u.Options.All() {
		if o.Marker {
			break
		}
		if o.Type != wire.UserDataOptionMetadata && o.Type != wire.UserDataOptionReturnAssociation && o.Type < wire.UserDataOptionIgnorable {
			return reject() // must-understand option we do not know
		}
	}
	if len(s.recvFlows) >= s.ep.cfg.MaxFlowsPerSession {
		return reject()
	}
	f := &RecvFlow{s: s, id: u.FlowID, metadata: append([]byte(nil), md...)}
	if id, ok := u.ReturnAssociation(); ok {
		f.returnFor = id
	}
	if s.recvFlows == nil {
		s.recvFlows = make(map[uint64]*RecvFlow)
	}
	s.recvFlows[u.FlowID] = f
	s.counters.flowsIn.Add(1)
	accept := s.handler != nil && s.handler.OnFlow(f)
	if !accept && !f.rejected {
		f.ended = true // the handler refused it: no OnFlowEnd
		s.rejectRecvFlow(f, 0)
	}
	return f
}

// onAck applies an acknowledgement to its send flow.
func (s *Session) onAck(now time.Time, a wire.Ack) {
	f := s.sendFlows[a.FlowID]
	if f == nil {
		return
	}
	acked, _ := f.onAck(now, a)
	if acked > 0 {
		s.cc.onAcked(now, acked)
		s.progress = now
	}
	if s.cc.inflight == 0 && len(s.retransmitQ) == 0 {
		s.progress = now
	}
	if s.state == stateFlushing {
		s.checkFlushed(now)
	}
}

// rttFromEcho takes an RTT sample from a timestamp echo (§2.2): the echo
// carries our timestamp advanced by the time the far end held it.
func (s *Session) rttFromEcho(now time.Time, tse uint16) {
	if s.cc.hasTSE && tse == s.cc.lastTSE {
		return
	}
	s.cc.hasTSE, s.cc.lastTSE = true, tse
	ticks := s.timestamp(now) - tse
	if ticks >= 0x8000 {
		return
	}
	s.cc.rttSample(time.Duration(ticks) * tsTick)
	s.rttNanos.Store(int64(s.cc.srtt))
}

// onPing answers a ping with the same body, to where it came from.
func (s *Session) onPing(now time.Time, from netip.AddrPort, b []byte) {
	if len(b) > maxPingBody {
		return
	}
	if from != s.addr {
		// A mobility check from the far end: answer at that address.
		body := s.startBody(now)
		body = wire.PingReply{Body: b}.Append(body)
		s.sendBody(now, body, from)
		return
	}
	if len(s.pingReplies) < maxPingReplies {
		s.pingReplies = append(s.pingReplies, append([]byte(nil), b...))
	}
}

// onPingReply completes a mobility check; any reply proves liveness, which
// the reception itself already recorded.
func (s *Session) onPingReply(now time.Time, from netip.AddrPort, b []byte) {
	m := s.mobility
	if m == nil || from != m.addr || !bytes.Equal(b, m.body[:]) {
		return
	}
	s.mobility = nil
	if from != s.addr {
		s.setRemote(from)
	}
}

// checkMobility starts verifying a new source address: packets from it are
// authentic (they decrypted with the session key), but the session moves
// only once a ping sent there is answered, so a replayed packet with a
// spoofed source cannot redirect our traffic (RFC 7016 §3.5.4.2).
func (s *Session) checkMobility(now time.Time, from netip.AddrPort) {
	if m := s.mobility; m != nil && m.addr == from {
		return
	}
	m := &mobilityCheck{addr: from}
	m.body[0] = 'M'
	_, _ = rand.Read(m.body[1:])
	s.mobility = m
	s.sendMobilityPing(now)
}

func (s *Session) sendMobilityPing(now time.Time) {
	m := s.mobility
	m.tries++
	m.sentAt = now
	body := s.startBody(now)
	body = wire.Ping{Body: m.body[:]}.Append(body)
	s.sendBody(now, body, m.addr)
}

// onCloseRequest answers 0x0c with 0x4c and ends the session; the linger
// keeps answering repeated requests.
func (s *Session) onCloseRequest(now time.Time) {
	s.sendCloseAck(now)
	if s.state == stateNearClose {
		// Both sides closing: our request crossed theirs.
		s.terminate(nil, true)
		return
	}
	s.terminate(ErrPeerClosed, true)
}

// onStrayPacket answers a packet of a closed session with 0x4c, at most
// once per strayAckInterval.
func (s *Session) onStrayPacket(now time.Time, from netip.AddrPort, chunks []byte) {
	for c := range wire.Chunks(chunks) {
		if c.Type == wire.ChunkSessionCloseAck {
			s.remove()
			return
		}
	}
	if now.Sub(s.lastCloseAck) < strayAckInterval || from != s.addr {
		return
	}
	s.ep.stats.strayCloseAcks.Add(1)
	s.sendCloseAck(now)
}
