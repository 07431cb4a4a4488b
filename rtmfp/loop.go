package rtmfp

import (
	"math/rand/v2"
	"net/netip"
	"time"

	"nimbus/internal/queue"
	"nimbus/rtmfp/crypto"
	"nimbus/rtmfp/wire"
)

// loopQueueLimit bounds a loop's queue; packets beyond it are dropped and
// counted, API calls use ForcePush (they are bounded by other means).
const loopQueueLimit = 8192

// outArenaSize is the byte arena a loop seals packets into between two
// socket writes.
const outArenaSize = 64 << 10

// Event kinds.
const (
	evPacket uint8 = iota
	evFunc
	evWrite
	evCloseFlow
)

// loopEvent is one item of a loop's queue. Writes and packets, the hot
// cases, carry their fields directly instead of a closure.
type loopEvent struct {
	kind uint8
	pkt  *packet
	fn   func()
	sess *Session
	flow *SendFlow
	msg  []byte
	ttl  time.Duration
}

// loop owns a set of sessions and initiator handshakes: their state, their
// timers and the packets they send. Session IDs encode the loop: sid %
// len(loops) == idx, so the socket reader routes a packet without a shared
// map.
type loop struct {
	ep  *Endpoint
	idx int
	q   *queue.Queue[loopEvent]

	sessions map[uint32]*Session
	openings map[uint32]*opening
	timers   timerHeap
	due      []*timerEntry
	timer    *time.Timer
	now      time.Time

	startupKey *crypto.PacketKey // default key, for this loop's startup packets
	sidNext    uint32

	// Output of the current iteration.
	arena  []byte
	out    []outDatagram
	writer batchWriter
	body   []byte // scratch for packet bodies
	// ackRanges is scratch for decoding acknowledgements.
	ackRanges []wire.SeqRange
	dirty     []*Session

	stopping bool
	done     chan struct{}
}

func newLoop(ep *Endpoint, idx int) (*loop, error) {
	key, err := crypto.NewDefaultPacketKey()
	if err != nil {
		return nil, err
	}
	l := &loop{
		ep:         ep,
		idx:        idx,
		q:          queue.New[loopEvent](loopQueueLimit),
		sessions:   make(map[uint32]*Session),
		openings:   make(map[uint32]*opening),
		startupKey: key,
		sidNext:    rand.Uint32N(1 << 20),
		arena:      make([]byte, 0, outArenaSize),
		body:       make([]byte, 0, maxDatagram),
		done:       make(chan struct{}),
	}
	return l, nil
}

// push queues a packet or other droppable event.
func (l *loop) push(ev loopEvent) bool { return l.q.Push(ev) }

// force queues an event that must not be lost (API calls); it fails only
// once the loop stopped.
func (l *loop) force(ev loopEvent) bool { return l.q.ForcePush(ev) }

// post runs fn on the loop.
func (l *loop) post(fn func()) bool { return l.q.ForcePush(loopEvent{kind: evFunc, fn: fn}) }

// allocSID returns a free session ID owned by this loop.
func (l *loop) allocSID() uint32 {
	n := uint64(len(l.ep.loops))
	limit := uint32((1<<32 - 1) / n)
	for {
		c := l.sidNext
		l.sidNext++
		if l.sidNext >= limit {
			l.sidNext = 0
		}
		sid := uint32(uint64(c)*n + uint64(l.idx))
		if sid == 0 {
			continue
		}
		if _, used := l.sessions[sid]; used {
			continue
		}
		if _, used := l.openings[sid]; used {
			continue
		}
		return sid
	}
}

// minTimerDelay keeps owners that re-arm in the past from spinning.
const minTimerDelay = time.Millisecond

// schedule arms an owner's timer entry.
func (l *loop) schedule(e *timerEntry, at time.Time) {
	if earliest := l.now.Add(minTimerDelay); at.Before(earliest) {
		at = earliest
	}
	l.timers.schedule(e, at)
}

// unschedule disarms it.
func (l *loop) unschedule(e *timerEntry) { l.timers.remove(e) }

// run is the loop goroutine.
func (l *loop) run() {
	defer close(l.done)
	l.timer = time.NewTimer(time.Hour)
	defer l.timer.Stop()
	for {
		if next, ok := l.timers.next(); ok {
			d := time.Until(next)
			if d < 0 {
				d = 0
			}
			l.timer.Reset(d)
		} else {
			l.timer.Reset(time.Hour)
		}
		select {
		case <-l.q.Ready():
		case <-l.timer.C:
		}
		l.now = time.Now()
		for _, ev := range l.q.Pop() {
			l.handle(ev)
		}
		l.fireTimers()
		l.flushSessions()
		l.flushOut()
		if l.stopping {
			l.shutdown()
			return
		}
	}
}

func (l *loop) handle(ev loopEvent) {
	switch ev.kind {
	case evPacket:
		l.onPacket(ev.pkt)
	case evFunc:
		ev.fn()
	case evWrite:
		ev.flow.enqueue(l.now, ev.msg, ev.ttl)
		l.markDirty(ev.sess)
	case evCloseFlow:
		ev.flow.queueFin()
		l.markDirty(ev.sess)
	}
}

// onPacket routes a session packet by its SSID.
func (l *loop) onPacket(p *packet) {
	defer p.release()
	b := p.data()
	sid, err := crypto.SSID(b)
	if err != nil {
		l.ep.stats.droppedMalformed.Add(1)
		return
	}
	if s := l.sessions[sid]; s != nil {
		s.onPacket(l.now, p.from, b)
		return
	}
	if o := l.openings[sid]; o != nil {
		o.onPacket(l.now, p.from, b)
		return
	}
	l.ep.stats.droppedUnknownSID.Add(1)
}

// fireTimers runs the owners whose deadline passed. Entries re-armed for
// a time already past wait for the next iteration, so that an owner can
// never keep the loop spinning here.
func (l *loop) fireTimers() {
	due := l.due[:0]
	for {
		e := l.timers.popDue(l.now)
		if e == nil {
			break
		}
		due = append(due, e)
	}
	for _, e := range due {
		e.owner.onTimer(l.now)
	}
	clear(due)
	l.due = due[:0]
}

// markDirty asks for the session's send pass at the end of the iteration.
func (l *loop) markDirty(s *Session) {
	if s == nil || s.dirty {
		return
	}
	s.dirty = true
	l.dirty = append(l.dirty, s)
}

func (l *loop) flushSessions() {
	for i := 0; i < len(l.dirty); i++ {
		s := l.dirty[i]
		s.dirty = false
		s.flush(l.now)
	}
	clear(l.dirty)
	l.dirty = l.dirty[:0]
}

// send queues a sealed datagram; pkt must live in l.arena (or be owned by
// the caller until flushOut).
func (l *loop) send(pkt []byte, to netip.AddrPort) {
	l.out = append(l.out, outDatagram{b: pkt, to: to})
}

// arenaFor returns the arena positioned for a new packet, flushing first if
// it cannot hold one more.
func (l *loop) arenaFor() []byte {
	if cap(l.arena)-len(l.arena) < maxDatagram+crypto.MaxOverhead {
		l.flushOut()
	}
	return l.arena
}

// commit records that the arena grew to a (after appending a packet).
func (l *loop) commit(a []byte) []byte {
	start := len(l.arena)
	l.arena = a
	return a[start:len(a):len(a)]
}

func (l *loop) flushOut() {
	if len(l.out) > 0 {
		written, failed := l.ep.conn.writeBatch(&l.writer, l.out)
		var bytes uint64
		for _, d := range l.out[:written] {
			bytes += uint64(len(d.b))
		}
		l.ep.stats.packetsOut.Add(uint64(written))
		l.ep.stats.bytesOut.Add(bytes)
		if failed > 0 {
			l.ep.stats.writeErrors.Add(uint64(failed))
		}
		clear(l.out)
		l.out = l.out[:0]
	}
	l.arena = l.arena[:0]
}

// shutdown ends every session and handshake of the loop (Endpoint.Close).
func (l *loop) shutdown() {
	for _, s := range l.sessions {
		s.terminate(ErrEndpointClosed, false)
	}
	for _, o := range l.openings {
		o.fail(ErrEndpointClosed)
	}
	l.q.Close()
	// Drain what raced in: release packets and quotas.
	for _, ev := range l.q.Pop() {
		switch ev.kind {
		case evPacket:
			ev.pkt.release()
		case evWrite:
			ev.flow.queued.Add(-int64(len(ev.msg)))
		}
	}
	l.flushOut()
}
