package rtmfp

import (
	"net/netip"
	"time"

	"nimbus/rtmfp/wire"
)

// startBody begins a packet body in the loop's scratch buffer: the header
// with our mode, a timestamp (librtmfp wants one in every packet), the
// timestamp echo while valid, and TCR when another session recently
// received time-critical data.
func (s *Session) startBody(now time.Time) []byte {
	flags := uint8(s.sendMode) | wire.FlagTimestamp
	h := wire.Header{Timestamp: s.timestamp(now)}
	if s.hasFarTS && now.Sub(s.farTSAt) <= tsEchoValidity {
		flags |= wire.FlagTimestampEcho
		h.TimestampEcho = s.farTS + uint16(now.Sub(s.farTSAt)/tsTick)
	}
	if s.ep.timeCriticalElsewhere(now, s.id) {
		flags |= wire.FlagTimeCriticalReverse
	}
	h.Flags = flags
	return h.Append(s.loop.body[:0])
}

// sendBody seals body and queues the datagram for to.
func (s *Session) sendBody(now time.Time, body []byte, to netip.AddrPort) {
	l := s.loop
	a := l.arenaFor()
	a = s.cipher.Seal(a, s.farID, body)
	pkt := l.commit(a)
	l.send(pkt, to)
	s.counters.packetsOut.Add(1)
	s.counters.bytesOut.Add(uint64(len(pkt)))
}

// flush sends what the session has to send: control chunks, acks, and as
// much data as the congestion and flow-control windows allow, in at most
// burstLimit data packets (loop only).
func (s *Session) flush(now time.Time) {
	switch s.state {
	case stateGone, stateLinger:
		return
	}
	dataPackets := 0
	s.limited = false
	for range maxPacketsPerFlush {
		allowData := dataPackets < burstLimit && s.state != stateNearClose
		body, hasData, ok := s.assemble(now, allowData)
		if !ok {
			break
		}
		s.sendBody(now, body, s.addr)
		if hasData {
			dataPackets++
		}
	}
	// Stopped by the burst limit with window to spare: continue shortly
	// rather than wait for the next ack, pacing the window over the RTT.
	s.paceAt = time.Time{}
	if dataPackets >= burstLimit && !s.limited && s.hasSendable() {
		pace := minTimerDelay
		if s.cc.hasRTT && s.cc.cwnd > 0 {
			pace = max(pace, s.cc.srtt*burstLimit*ccMSS/time.Duration(s.cc.cwnd))
		}
		s.paceAt = now.Add(pace)
	}
	if s.state == stateFlushing {
		s.checkFlushed(now)
	}
	s.counters.noteLimited(now, s.limited)
	s.reschedule()
}

// assemble builds one packet body. ok is false when there is nothing to
// send.
func (s *Session) assemble(now time.Time, allowData bool) (body []byte, hasData, ok bool) {
	body = s.startBody(now)
	hdr := len(body)
	limit := hdr + (s.bodyMax - hdr)
	room := func(n int) bool { return len(body)+n <= limit }

	if s.closeDue {
		body = wire.SessionClose{}.Append(body)
		s.closeDue = false
	}
	for len(s.pingReplies) > 0 {
		r := wire.PingReply{Body: s.pingReplies[0]}
		if !room(r.Len()) {
			break
		}
		body = r.Append(body)
		s.pingReplies[0] = nil
		s.pingReplies = s.pingReplies[1:]
	}
	if len(s.pingReplies) == 0 {
		s.pingReplies = nil
	}
	if s.pingDue && room(wire.ChunkHeaderLen) {
		body = wire.Ping{}.Append(body)
		s.pingDue = false
	}
	for len(s.exceptions) > 0 {
		e := s.exceptions[0]
		if !room(e.Len()) {
			break
		}
		body = e.Append(body)
		s.exceptions = s.exceptions[1:]
	}
	if len(s.exceptions) == 0 {
		s.exceptions = nil
	}
	for len(s.control) > 0 {
		c := s.control[0]
		if !room(len(c)) {
			break
		}
		body = append(body, c...)
		s.control[0] = nil
		s.control = s.control[1:]
	}
	if len(s.control) == 0 {
		s.control = nil
	}

	sending := allowData && s.hasSendable()
	body = s.appendAcks(now, body, limit, sending)
	if sending {
		var n int
		var tc bool
		body, n, tc = s.appendData(now, body, limit)
		hasData = n > 0
		if tc {
			// The flags byte leads the header. TC tells the far end
			// that time-critical media is flowing, so that its other
			// sessions yield to it (they send TCR).
			body[0] |= wire.FlagTimeCritical
		}
	}
	return body, hasData, len(body) > hdr
}

// appendAcks adds the acknowledgements that are due, or all pending ones
// when the packet carries data anyway (piggy-backing).
func (s *Session) appendAcks(now time.Time, body []byte, limit int, piggyback bool) []byte {
	if len(s.ackFlows) == 0 {
		return body
	}
	keep := s.ackFlows[:0]
	for _, f := range s.ackFlows {
		due := f.ackPending && (f.ackNow || !now.Before(f.ackDeadline) || piggyback)
		if !due {
			if f.ackPending {
				keep = append(keep, f)
			} else {
				f.queuedForAck = false
			}
			continue
		}
		a := f.ack()
		out, _, fits := a.AppendWithin(body, limit-len(body))
		if !fits {
			keep = append(keep, f)
			continue
		}
		body = out
		f.ackPending = false
		f.ackNow = false
		f.dataPackets = 0
		f.queuedForAck = false
	}
	clear(s.ackFlows[len(keep):])
	s.ackFlows = keep
	for _, f := range keep {
		f.queuedForAck = true
	}
	return body
}

// hasSendable reports whether a fragment could be sent now.
func (s *Session) hasSendable() bool {
	if len(s.retransmitQ) > 0 {
		return true
	}
	for _, f := range s.sendList {
		if f.hasUnsent() {
			return true
		}
	}
	return false
}

// appendData adds fragments: retransmissions first, then new fragments of
// the flows in turn. It returns the number of fragments added.
func (s *Session) appendData(now time.Time, body []byte, limit int) ([]byte, int, bool) {
	tsn := s.cc.nextTSN
	n, bytes := 0, 0
	tc := false
	var prevFlow *SendFlow
	var prevSeq uint64
	add := func(f *SendFlow, fr *sendFragment) bool {
		fsn := f.fsn()
		flags := fr.flags
		data := fr.data
		if fr.abandoned {
			flags = wire.UserDataAbandon | fr.flags&wire.UserDataFinal
			data = nil
		}
		var size int
		next := prevFlow == f && fr.seq == prevSeq+1
		withOptions := !f.optionsAcked && !next
		if next {
			size = wire.ChunkHeaderLen + 1 + len(data)
		} else {
			size = wire.ChunkHeaderLen + 1 + wire.VLULen(f.id) + wire.VLULen(fr.seq) + wire.VLULen(fr.seq-fsn) + len(data)
			if withOptions {
				size += len(f.options) + 1
			}
		}
		if len(body)+size > limit {
			return false
		}
		if !s.cc.canSend(bytes + size) {
			s.limited = true
			return false
		}
		if withOptions {
			flags |= wire.UserDataHasOptions
		}
		if next {
			body = wire.NextUserData{Flags: flags, Options: nil, Data: data}.Append(body)
		} else {
			u := wire.UserData{Flags: flags, FlowID: f.id, Seq: fr.seq, FSNOffset: fr.seq - fsn, Data: data}
			if withOptions {
				u.Options = f.options
			}
			body = u.Append(body)
		}
		if fr.state == fragLost {
			fr.retrans = true
			s.counters.retransmissions.Add(1)
			s.ep.stats.retransmissions.Add(1)
		}
		fr.state = fragInFlight
		fr.naks = 0
		fr.tsn = tsn
		fr.sentAt = now
		fr.wireLen = size
		f.outstanding += len(data)
		bytes += size
		n++
		if len(data) > 0 && f.timeCritical.Load() {
			tc = true
		}
		prevFlow, prevSeq = f, fr.seq
		return true
	}

	// Retransmissions.
	for len(s.retransmitQ) > 0 {
		ref := s.retransmitQ[0]
		fr := ref.f.frag(ref.seq)
		if fr == nil || fr.state != fragLost || ref.f.done {
			s.retransmitQ = s.retransmitQ[1:]
			continue
		}
		if !add(ref.f, fr) {
			break
		}
		s.retransmitQ = s.retransmitQ[1:]
	}
	if len(s.retransmitQ) == 0 {
		s.retransmitQ = nil
	}

	// New fragments, round robin over the flows.
	full := false
	for tries := 0; tries < len(s.sendList) && !full; tries++ {
		if s.sendCursor >= len(s.sendList) {
			s.sendCursor = 0
		}
		f := s.sendList[s.sendCursor]
		for f.hasUnsent() {
			fr := &f.frags[f.unsent]
			if !fr.deadline.IsZero() && !fr.abandoned && !now.Before(fr.deadline) {
				f.abandon(fr)
			}
			if f.outstanding > 0 && f.outstanding+len(fr.data) > f.farWindow {
				s.limited = true
				break // the receiver's window is full
			}
			if !add(f, fr) {
				full = true
				break
			}
			f.unsent++
		}
		if !full {
			s.sendCursor++
		}
	}
	s.pruneSendList()
	if n > 0 {
		if s.cc.inflight == 0 && len(s.retransmitQ) == 0 {
			s.progress = now // the retransmission limit counts from here
		}
		s.cc.onSend(now, bytes)
	}
	return body, n, tc
}

// pruneSendList drops flows with nothing new to send.
func (s *Session) pruneSendList() {
	keep := s.sendList[:0]
	for _, f := range s.sendList {
		if f.hasUnsent() && !f.done {
			keep = append(keep, f)
		} else {
			f.inSendList = false
		}
	}
	clear(s.sendList[len(keep):])
	s.sendList = keep
	if s.sendCursor >= len(keep) {
		s.sendCursor = 0
	}
}
