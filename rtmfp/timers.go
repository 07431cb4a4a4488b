package rtmfp

import "time"

// timerOwner is something a loop wakes at a deadline: a session, an
// initiator handshake, a lingering closed session.
type timerOwner interface {
	// onTimer runs on the loop when the entry's deadline passed. The entry
	// is out of the heap; the owner re-arms it with loop.schedule.
	onTimer(now time.Time)
}

// timerEntry is embedded in each owner. One entry per owner: the owner
// keeps its own deadlines (ack delay, retransmission, keepalive, close) and
// arms the entry at the earliest. Deadlines that move later are handled
// lazily: the entry fires early and the owner re-arms it, so the common
// case (a packet pushes the idle deadline back) costs nothing.
type timerEntry struct {
	at    time.Time
	index int // position in the heap, -1 when not armed
	owner timerOwner
}

func (e *timerEntry) armed() bool { return e.index >= 0 }

// timerHeap is a binary min-heap of entries by deadline, owned by a loop.
type timerHeap []*timerEntry

func (h *timerHeap) less(i, j int) bool { return (*h)[i].at.Before((*h)[j].at) }

func (h *timerHeap) swap(i, j int) {
	s := *h
	s[i], s[j] = s[j], s[i]
	s[i].index = i
	s[j].index = j
}

func (h *timerHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h *timerHeap) down(i int) {
	n := len(*h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h.swap(i, m)
		i = m
	}
}

// schedule arms e at t, or moves it earlier. A later t is ignored while e
// is armed (lazy re-arm, see timerEntry).
func (h *timerHeap) schedule(e *timerEntry, t time.Time) {
	if e.index >= 0 {
		if !t.Before(e.at) {
			return
		}
		e.at = t
		h.up(e.index)
		return
	}
	e.at = t
	e.index = len(*h)
	*h = append(*h, e)
	h.up(e.index)
}

// remove disarms e.
func (h *timerHeap) remove(e *timerEntry) {
	i := e.index
	if i < 0 {
		return
	}
	last := len(*h) - 1
	if i != last {
		h.swap(i, last)
	}
	(*h)[last] = nil
	*h = (*h)[:last]
	e.index = -1
	if i != last {
		h.down(i)
		h.up(i)
	}
}

// next returns the earliest deadline.
func (h timerHeap) next() (time.Time, bool) {
	if len(h) == 0 {
		return time.Time{}, false
	}
	return h[0].at, true
}

// popDue removes and returns the earliest entry if it is due at now.
func (h *timerHeap) popDue(now time.Time) *timerEntry {
	if len(*h) == 0 || (*h)[0].at.After(now) {
		return nil
	}
	e := (*h)[0]
	h.remove(e)
	return e
}
