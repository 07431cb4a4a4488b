package rtmfp

import (
	"sync/atomic"
	"time"

	"nimbus/rtmfp/wire"
)

// initialFarWindow is assumed until the first ack tells the real window.
const initialFarWindow = 64 << 10

// Fragment states.
const (
	fragUnsent   uint8 = iota // never sent
	fragInFlight              // sent, waiting for an ack
	fragLost                  // declared lost, queued for retransmission
	fragAcked                 // acknowledged
)

// sendFragment is one sequence number of a send flow.
type sendFragment struct {
	seq     uint64
	flags   wire.UserDataFlags // FRA bits and FIN (ABN for the closing marker)
	state   uint8
	naks    uint8
	retrans bool // sent more than once
	// abandoned: the deadline passed (or the flow was rejected); the data is
	// dropped and the fragment is (re)sent as an empty ABN chunk until
	// acknowledged. It counts for the forward sequence number.
	abandoned bool
	data      []byte
	deadline  time.Time // zero for reliable data
	tsn       uint64    // transmission number of the packet that carried it last
	sentAt    time.Time
	wireLen   int // bytes counted in flight
}

// SendFlow is a flow this end opened. ID is safe from any goroutine, and so
// are Write, WriteUnreliable and Close (they post to the session's loop).
type SendFlow struct {
	s         *Session
	id        uint64
	metadata  []byte
	returnFor uint64
	options   []byte // metadata and return association, without the marker

	queued       atomic.Int64 // bytes written and not yet acknowledged or abandoned
	closed       atomic.Bool  // Close was called
	timeCritical atomic.Bool  // packets carrying this flow's data set TC
	state        atomic.Int32 // flowOpen, flowRejected, flowFailed

	// Loop-only.
	frags        []sendFragment // frags[head:] hold base, base+1, ...
	head         int
	base         uint64 // seq of frags[head]
	nextSeq      uint64
	unsent       int // index in frags of the first never-sent fragment
	optionsAcked bool
	finQueued    bool
	done         bool
	farWindow    int
	outstanding  int // data bytes in flight for this flow
	inSendList   bool
	deadlines    int // unacknowledged fragments with a deadline
}

// SetTimeCritical marks the flow's data as time critical (live audio and
// video): packets carrying it set the TC flag, so that receivers favour
// them (RFC 7016 congestion control). Safe from any goroutine.
func (f *SendFlow) SetTimeCritical(on bool) { f.timeCritical.Store(on) }

// Flow states visible to writers.
const (
	flowOpen int32 = iota
	flowRejected
	flowGone
)

// ID is the flow's identifier.
func (f *SendFlow) ID() uint64 { return f.id }

// Metadata is the flow metadata given to OpenFlow.
func (f *SendFlow) Metadata() []byte { return f.metadata }

// ReturnFor is the far flow this one is associated to, 0 for none.
func (f *SendFlow) ReturnFor() uint64 { return f.returnFor }

// Session is the session the flow belongs to.
func (f *SendFlow) Session() *Session { return f.s }

// Write queues msg as one message, delivered reliably and in order. It takes
// ownership of msg. Safe from any goroutine. It returns ErrFlowFull when the
// flow already holds Config.MaxFlowQueue bytes (the explicit overflow
// policy), ErrFlowClosed after Close, ErrFlowRejected once the far end
// refused the flow and ErrSessionClosed when the session is gone.
func (f *SendFlow) Write(msg []byte) error { return f.write(msg, 0) }

// WriteUnreliable queues msg like Write, but gives it up (abandons it with
// the forward sequence number) if it is not delivered within deadline.
func (f *SendFlow) WriteUnreliable(msg []byte, deadline time.Duration) error {
	if deadline <= 0 {
		deadline = time.Nanosecond
	}
	return f.write(msg, deadline)
}

func (f *SendFlow) write(msg []byte, deadline time.Duration) error {
	if err := f.writeErr(); err != nil {
		return err
	}
	n := int64(len(msg))
	if f.queued.Add(n) > int64(f.s.ep.cfg.MaxFlowQueue) && n > 0 {
		f.queued.Add(-n)
		return ErrFlowFull
	}
	ev := loopEvent{kind: evWrite, sess: f.s, flow: f, msg: msg, ttl: deadline}
	if !f.s.loop.force(ev) {
		f.queued.Add(-n)
		return ErrSessionClosed
	}
	return nil
}

func (f *SendFlow) writeErr() error {
	if f.closed.Load() {
		return ErrFlowClosed
	}
	switch f.state.Load() {
	case flowRejected:
		return ErrFlowRejected
	case flowGone:
		return ErrSessionClosed
	}
	if f.s.isGone() {
		return ErrSessionClosed
	}
	return nil
}

// Close ends the flow after the data already queued (FIN). Safe from any
// goroutine; closing twice is a no-op.
func (f *SendFlow) Close() error {
	if f.closed.Swap(true) {
		return nil
	}
	ev := loopEvent{kind: evCloseFlow, sess: f.s, flow: f}
	if !f.s.loop.force(ev) {
		return ErrSessionClosed
	}
	return nil
}

// Buffered reports the bytes written and not yet acknowledged or abandoned.
func (f *SendFlow) Buffered() int { return int(f.queued.Load()) }

// frag returns the fragment for seq, or nil if it is no longer kept.
func (f *SendFlow) frag(seq uint64) *sendFragment {
	if seq < f.base {
		return nil
	}
	i := f.head + int(seq-f.base)
	if i >= len(f.frags) {
		return nil
	}
	return &f.frags[i]
}

// enqueue cuts msg into fragments (loop only).
func (f *SendFlow) enqueue(now time.Time, msg []byte, ttl time.Duration) {
	s := f.s
	if f.finQueued || f.done || f.state.Load() != flowOpen {
		f.queued.Add(-int64(len(msg)))
		return
	}
	var deadline time.Time
	if ttl > 0 {
		deadline = now.Add(ttl)
	}
	size := s.fragmentSize(f)
	s.counters.messagesOut.Add(1)
	s.counters.userBytesOut.Add(uint64(len(msg)))
	for off := 0; ; {
		end := min(off+size, len(msg))
		var fra wire.UserDataFlags
		first, last := off == 0, end == len(msg)
		switch {
		case first && last:
			fra = wire.FragmentWhole
		case first:
			fra = wire.FragmentFirst
		case last:
			fra = wire.FragmentLast
		default:
			fra = wire.FragmentMiddle
		}
		f.push(sendFragment{flags: fra, data: msg[off:end:end], deadline: deadline})
		if !deadline.IsZero() {
			f.deadlines++
		}
		off = end
		if last {
			break
		}
	}
	s.markSendable(f)
}

func (f *SendFlow) push(fr sendFragment) {
	if f.nextSeq == 0 {
		f.nextSeq = 1
		f.base = 1
	}
	fr.seq = f.nextSeq
	f.nextSeq++
	if len(f.frags) == f.head {
		// Everything before was acknowledged: restart the deque.
		f.frags = f.frags[:0]
		f.head = 0
		f.unsent = 0
		f.base = fr.seq
	}
	f.frags = append(f.frags, fr)
}

// queueFin appends the closing marker: an empty ABN|FIN fragment, which is
// what MonaServer sends (a FIN with neither data nor ABN may upset Flash).
func (f *SendFlow) queueFin() {
	if f.finQueued || f.done {
		return
	}
	f.finQueued = true
	f.push(sendFragment{flags: wire.UserDataAbandon | wire.UserDataFinal})
	f.s.markSendable(f)
}

// fsn is the forward sequence number: every seq up to it is acknowledged
// or abandoned.
func (f *SendFlow) fsn() uint64 {
	fsn := f.base - 1
	for i := f.head; i < len(f.frags); i++ {
		if fr := &f.frags[i]; fr.state != fragAcked && !fr.abandoned {
			break
		}
		fsn = f.frags[i].seq
	}
	if f.base == 0 {
		return 0
	}
	return fsn
}

// hasUnsent reports whether a never-sent fragment waits.
func (f *SendFlow) hasUnsent() bool { return f.unsent < len(f.frags) }

// trim drops the acknowledged prefix.
func (f *SendFlow) trim() {
	for f.head < len(f.frags) && f.frags[f.head].state == fragAcked {
		f.frags[f.head] = sendFragment{}
		f.head++
		f.base++
	}
	if f.unsent < f.head {
		f.unsent = f.head
	}
	if f.head == len(f.frags) {
		f.frags = f.frags[:0]
		f.unsent -= f.head
		f.head = 0
		if f.unsent < 0 {
			f.unsent = 0
		}
		if cap(f.frags) > 256 {
			f.frags = nil
		}
		return
	}
	if f.head > 64 && f.head > len(f.frags)/2 {
		n := copy(f.frags, f.frags[f.head:])
		clear(f.frags[n:])
		f.frags = f.frags[:n]
		f.unsent -= f.head
		f.head = 0
	}
}

// release gives back the writer's quota for a fragment's data.
func (f *SendFlow) release(fr *sendFragment) {
	if len(fr.data) > 0 {
		f.queued.Add(-int64(len(fr.data)))
	}
	if !fr.deadline.IsZero() {
		f.deadlines--
		fr.deadline = time.Time{}
	}
}

// abandonExpired gives up unreliable fragments whose deadline passed. A
// message is abandoned whole: its fragments share one deadline.
func (f *SendFlow) abandonExpired(now time.Time) {
	if f.deadlines == 0 {
		return
	}
	for i := f.head; i < len(f.frags) && f.deadlines > 0; i++ {
		fr := &f.frags[i]
		if fr.deadline.IsZero() || fr.deadline.After(now) {
			continue
		}
		f.abandon(fr)
	}
}

// abandon drops a fragment's data; what was in flight stays counted until
// acknowledged or lost, and a lost one is repeated as an ABN marker.
func (f *SendFlow) abandon(fr *sendFragment) {
	if fr.abandoned || fr.state == fragAcked {
		return
	}
	f.release(fr)
	fr.abandoned = true
	fr.data = nil
	f.s.counters.abandoned.Add(1)
}

// nextDeadline is the earliest deadline of a pending unreliable fragment.
func (f *SendFlow) nextDeadline() (time.Time, bool) {
	if f.deadlines == 0 {
		return time.Time{}, false
	}
	for i := f.head; i < len(f.frags); i++ {
		fr := &f.frags[i]
		if !fr.deadline.IsZero() && fr.state != fragAcked && !fr.abandoned {
			return fr.deadline, true
		}
	}
	return time.Time{}, false
}

// onAck applies an acknowledgement (loop only). It returns the bytes newly
// acknowledged and the largest transmission number among them.
func (f *SendFlow) onAck(now time.Time, a wire.Ack) (acked int, maxTSN uint64) {
	s := f.s
	f.farWindow = int(a.BufferBlocks) * 1024
	if !f.optionsAcked {
		f.optionsAcked = true
	}
	ackOne := func(fr *sendFragment) {
		switch fr.state {
		case fragAcked:
			return
		case fragInFlight:
			s.cc.removeInFlight(fr)
			f.outstanding -= len(fr.data)
			acked += fr.wireLen
			if fr.tsn > maxTSN {
				maxTSN = fr.tsn
			}
		case fragLost:
			acked += fr.wireLen
		case fragUnsent:
			// Acknowledged before we sent it: a confused or hostile peer.
			// Accept it; it only stops us from sending.
		}
		if !fr.abandoned {
			f.release(fr)
		}
		fr.state = fragAcked
		fr.data = nil
	}
	// Cumulative part.
	for i := f.head; i < len(f.frags) && f.frags[i].seq <= a.CumAck; i++ {
		if i >= f.unsent {
			break
		}
		ackOne(&f.frags[i])
	}
	// Ranges, clipped to what was sent (sequence numbers are the far end's
	// word: never index with them unchecked).
	if f.unsent > f.head {
		last := f.base + uint64(f.unsent-f.head) - 1
		for _, r := range a.Received {
			if r.To < f.base || r.From > last {
				continue
			}
			from, to := max(r.From, f.base), min(r.To, last)
			for seq := from; seq <= to; seq++ {
				ackOne(&f.frags[f.head+int(seq-f.base)])
			}
		}
	}
	// Loss detection: fragments sent before an acknowledged one collect a
	// NAK; the third one declares them lost (RFC 7016 §3.6.2.6).
	if maxTSN > 0 {
		for i := f.head; i < f.unsent; i++ {
			fr := &f.frags[i]
			if fr.state != fragInFlight || fr.tsn >= maxTSN {
				continue
			}
			fr.naks++
			if fr.naks >= 3 {
				s.cc.removeInFlight(fr)
				f.outstanding -= len(fr.data)
				fr.state = fragLost
				s.cc.onLoss(fr.tsn)
				s.queueRetransmit(f, fr.seq)
			}
		}
	}
	f.trim()
	if f.finQueued && len(f.frags) == 0 {
		// The FIN, always last, was acknowledged.
		s.finishSendFlow(f)
	}
	return acked, maxTSN
}

// reject handles a Flow Exception Report from the receiver: give up
// everything and close the flow with ABN|FIN.
func (f *SendFlow) reject() {
	f.state.Store(flowRejected)
	for i := f.head; i < len(f.frags); i++ {
		if fr := &f.frags[i]; fr.flags&wire.UserDataFinal == 0 {
			f.abandon(fr)
		}
	}
	f.queueFin()
}
