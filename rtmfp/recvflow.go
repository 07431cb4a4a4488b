package rtmfp

import (
	"log/slog"
	"sort"
	"time"

	"nimbus/rtmfp/wire"
)

// Receive-side constants (RFC 7016 §3.6.3, rtmfp-cpp params).
const (
	// delayedAckTime is the longest an acknowledgement waits.
	delayedAckTime = 200 * time.Millisecond
	// ackAfterPackets forces an ack after this many data packets.
	ackAfterPackets = 2
	// recvFlowLinger keeps a finished receive flow to acknowledge late
	// retransmissions of its last fragments.
	recvFlowLinger = 120 * time.Second
	// maxAdvertisedBlocks caps the advertised window (ff 7f, what Flash
	// advertises).
	maxAdvertisedBlocks = 0x3fff
	// maxMetadataLen bounds flow metadata (rtmfp-cpp uses 512).
	maxMetadataLen = 512
	// maxAckRanges bounds the out-of-order ranges tracked per flow; a
	// sender producing more holes than this is not behaving.
	maxAckRanges = 512
)

// RecvFlow is a flow opened by the far end. ID, Metadata and ReturnFor are
// safe from any goroutine; Reject posts to the session's loop.
type RecvFlow struct {
	s         *Session
	id        uint64
	metadata  []byte
	returnFor uint64

	// Loop-only reception state.
	cumAck        uint64                  // every seq ≤ cumAck is received or abandoned
	ranges        []wire.SeqRange         // received seqs above cumAck+1, ascending
	ooo           map[uint64]recvFragment // out-of-order fragments by seq
	buffered      int                     // bytes held in ooo and partial
	partial       []byte                  // message being reassembled in order
	assembling    bool                    // partial holds a started message
	finSeq        uint64                  // sequence number carrying FIN, 0 if unseen
	ended         bool                    // OnFlowEnd was called
	rejected      bool                    // we rejected it: data is acked and dropped
	rejectCode    uint64
	sendException bool // a 0x5e is due

	ackPending   bool      // something to acknowledge
	ackNow       bool      // acknowledge at the next packet
	ackDeadline  time.Time // delayed-ack deadline while ackPending
	dataPackets  int       // data packets since the last ack
	lingerUntil  time.Time // when a finished flow may be forgotten
	queuedForAck bool      // listed in Session.ackFlows
}

type recvFragment struct {
	flags wire.UserDataFlags
	data  []byte
}

// ID is the flow's identifier chosen by the far end.
func (f *RecvFlow) ID() uint64 { return f.id }

// Metadata is the flow metadata sent by the far end (e.g. "TC" 04 00).
func (f *RecvFlow) Metadata() []byte { return f.metadata }

// ReturnFor is the near send flow this one was associated to, 0 for none.
func (f *RecvFlow) ReturnFor() uint64 { return f.returnFor }

// Session is the session the flow belongs to.
func (f *RecvFlow) Session() *Session { return f.s }

// Reject refuses the flow with a Flow Exception Report (0x5e) carrying
// code; its data is dropped from then on and OnFlowEnd follows. Safe from
// any goroutine (the rejection happens on the loop, after the current
// callback returns).
func (f *RecvFlow) Reject(code uint64) {
	f.s.post(func() { f.s.rejectRecvFlow(f, code) })
}

// recvLimit is the most a flow buffers: one largest message plus room for
// out-of-order fragments of the next ones.
func (s *Session) recvLimit() int { return s.ep.cfg.MaxMessageSize + 1<<20 }

// advertisedBlocks is the window in 1024-byte blocks: never zero, because
// Cumulus-lineage peers kill the session on a zero window.
func (f *RecvFlow) advertisedBlocks() uint64 {
	free := f.s.recvLimit() - f.buffered
	blocks := free / 1024
	if blocks < 1 {
		blocks = 1
	}
	if blocks > maxAdvertisedBlocks {
		blocks = maxAdvertisedBlocks
	}
	return uint64(blocks)
}

// onUserData handles one user-data fragment of this flow.
func (f *RecvFlow) onUserData(now time.Time, u wire.UserData) {
	s := f.s
	f.markAck(now, false)
	if u.Flags&(wire.UserDataAbandon|wire.UserDataFinal) != 0 {
		f.ackNow = true
	}
	if f.rejected {
		// Acknowledge everything so the sender can finish its flow.
		if u.Seq > f.cumAck {
			f.cumAck = u.Seq
			f.ranges = f.ranges[:0]
		}
		f.ackNow = true
		return
	}
	if fsn := u.FSN(); fsn > f.cumAck {
		f.abandonThrough(now, fsn)
	}
	seq := u.Seq
	if seq <= f.cumAck {
		f.ackNow = true // duplicate
		return
	}
	if _, dup := f.ooo[seq]; dup {
		f.ackNow = true
		return
	}
	if seq != f.cumAck+1 {
		// Out of order: keep a copy if it fits, otherwise drop it unacked
		// so that the sender repeats it once the window moved.
		if f.buffered+len(u.Data) > s.recvLimit() || len(f.ranges) >= maxAckRanges {
			return
		}
		if f.ooo == nil {
			f.ooo = make(map[uint64]recvFragment)
		}
		f.ooo[seq] = recvFragment{flags: u.Flags, data: append([]byte(nil), u.Data...)}
		f.buffered += len(u.Data)
		f.ranges = insertSeq(f.ranges, seq)
		f.ackNow = true
		return
	}
	f.cumAck = seq
	f.consume(now, seq, u.Flags, u.Data)
	f.drain(now)
}

// markAck notes that a data packet arrived for this flow.
func (f *RecvFlow) markAck(now time.Time, urgent bool) {
	s := f.s
	if !f.ackPending {
		f.ackPending = true
		f.ackDeadline = now.Add(delayedAckTime)
		f.dataPackets = 0
	}
	if urgent {
		f.ackNow = true
	}
	if !f.queuedForAck {
		f.queuedForAck = true
		s.ackFlows = append(s.ackFlows, f)
	}
}

// notePacket is called once per received packet that carried data for the
// flow: the second such packet makes the ack immediate.
func (f *RecvFlow) notePacket() {
	f.dataPackets++
	if f.dataPackets >= ackAfterPackets {
		f.ackNow = true
	}
}

// drain consumes buffered fragments that became in order.
func (f *RecvFlow) drain(now time.Time) {
	for len(f.ooo) > 0 {
		next := f.cumAck + 1
		fr, ok := f.ooo[next]
		if !ok {
			break
		}
		delete(f.ooo, next)
		f.buffered -= len(fr.data)
		f.cumAck = next
		f.consume(now, next, fr.flags, fr.data)
	}
	f.trimRanges()
	f.checkEnd(now)
}

// abandonThrough applies a forward sequence number: everything up to fsn
// will never come, so the message being assembled is lost.
func (f *RecvFlow) abandonThrough(now time.Time, fsn uint64) {
	for seq, fr := range f.ooo {
		if seq <= fsn {
			f.buffered -= len(fr.data)
			delete(f.ooo, seq)
		}
	}
	f.dropPartial()
	f.cumAck = fsn
	f.ackNow = true
	f.drain(now)
}

func (f *RecvFlow) dropPartial() {
	f.buffered -= len(f.partial)
	f.partial = f.partial[:0]
	if cap(f.partial) > 64<<10 {
		f.partial = nil
	}
	f.assembling = false
}

// consume handles the in-order fragment seq.
func (f *RecvFlow) consume(now time.Time, seq uint64, flags wire.UserDataFlags, data []byte) {
	if flags&wire.UserDataFinal != 0 {
		f.finSeq = seq
	}
	if flags&wire.UserDataAbandon != 0 {
		f.dropPartial()
		return
	}
	switch flags.Fragment() {
	case wire.FragmentWhole:
		if f.assembling {
			f.dropPartial()
		}
		f.deliver(data)
	case wire.FragmentFirst:
		if f.assembling {
			f.dropPartial()
		}
		if !f.appendPartial(data) {
			return
		}
		f.assembling = true
	case wire.FragmentMiddle:
		if f.assembling {
			f.appendPartial(data)
		}
	case wire.FragmentLast:
		if !f.assembling {
			return
		}
		if !f.appendPartial(data) {
			return
		}
		msg := f.partial
		f.deliver(msg)
		f.dropPartial()
	}
}

// appendPartial grows the message being assembled, rejecting the flow if
// it exceeds MaxMessageSize.
func (f *RecvFlow) appendPartial(data []byte) bool {
	s := f.s
	if len(f.partial)+len(data) > s.ep.cfg.MaxMessageSize {
		s.log().Debug("rtmfp: message too large, rejecting flow", slog.Uint64("flow", f.id))
		s.rejectRecvFlow(f, 0)
		return false
	}
	f.partial = append(f.partial, data...)
	f.buffered += len(data)
	return true
}

func (f *RecvFlow) deliver(msg []byte) {
	s := f.s
	if f.rejected || s.handler == nil {
		return
	}
	s.counters.messagesIn.Add(1)
	s.counters.userBytesIn.Add(uint64(len(msg)))
	// A completed message is acknowledged at once: if the handler answers
	// in this callback the ack rides on the answer, otherwise the sender
	// (e.g. closing after its last message) does not wait for the delayed
	// ack timer.
	f.ackNow = true
	s.handler.OnMessage(f, msg)
}

// checkEnd reports the end of the flow once everything up to FIN arrived.
func (f *RecvFlow) checkEnd(now time.Time) {
	if f.ended || f.finSeq == 0 || f.cumAck < f.finSeq {
		return
	}
	f.ended = true
	f.lingerUntil = now.Add(recvFlowLinger)
	f.s.lingeringRecv = true
	if f.s.handler != nil && !f.rejected {
		f.s.handler.OnFlowEnd(f)
	}
}

// trimRanges drops ranges at or below cumAck.
func (f *RecvFlow) trimRanges() {
	i := 0
	for i < len(f.ranges) && f.ranges[i].To <= f.cumAck {
		i++
	}
	if i > 0 {
		n := copy(f.ranges, f.ranges[i:])
		f.ranges = f.ranges[:n]
	}
	if len(f.ranges) > 0 && f.ranges[0].From <= f.cumAck {
		f.ranges[0].From = f.cumAck + 1
	}
}

// ack builds the acknowledgement of this flow.
func (f *RecvFlow) ack() wire.Ack {
	return wire.Ack{
		FlowID:       f.id,
		BufferBlocks: f.advertisedBlocks(),
		CumAck:       f.cumAck,
		Received:     f.ranges,
	}
}

// insertSeq adds seq to sorted, disjoint, non-adjacent ranges.
func insertSeq(rs []wire.SeqRange, seq uint64) []wire.SeqRange {
	i := sort.Search(len(rs), func(i int) bool { return rs[i].To+1 >= seq })
	if i < len(rs) && rs[i].From <= seq && seq <= rs[i].To {
		return rs
	}
	joinsLeft := i < len(rs) && rs[i].To+1 == seq
	joinsRight := false
	j := i
	if joinsLeft {
		j = i + 1
	}
	if j < len(rs) && rs[j].From == seq+1 {
		joinsRight = true
	}
	switch {
	case joinsLeft && joinsRight:
		rs[i].To = rs[j].To
		return append(rs[:j], rs[j+1:]...)
	case joinsLeft:
		rs[i].To = seq
		return rs
	case joinsRight:
		rs[j].From = seq
		return rs
	}
	rs = append(rs, wire.SeqRange{})
	copy(rs[i+1:], rs[i:])
	rs[i] = wire.SeqRange{From: seq, To: seq}
	return rs
}
