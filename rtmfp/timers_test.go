package rtmfp

import (
	"math/rand/v2"
	"testing"
	"time"
)

type testOwner struct{ fired int }

func (o *testOwner) onTimer(time.Time) { o.fired++ }

func TestTimerHeapOrder(t *testing.T) {
	var h timerHeap
	base := time.Unix(1000, 0)
	rng := rand.New(rand.NewPCG(1, 2))
	entries := make([]*timerEntry, 500)
	for i := range entries {
		entries[i] = &timerEntry{index: -1, owner: &testOwner{}}
		h.schedule(entries[i], base.Add(time.Duration(rng.IntN(10000))*time.Millisecond))
	}
	// Move some earlier, ask some later (ignored), remove some.
	for i := 0; i < 100; i++ {
		e := entries[rng.IntN(len(entries))]
		if !e.armed() {
			continue
		}
		switch i % 3 {
		case 0:
			h.schedule(e, e.at.Add(-time.Second))
		case 1:
			before := e.at
			h.schedule(e, e.at.Add(time.Hour))
			if !e.at.Equal(before) {
				t.Fatal("a later deadline moved an armed entry")
			}
		case 2:
			h.remove(e)
		}
	}
	var last time.Time
	n := 0
	for {
		e := h.popDue(base.Add(time.Hour))
		if e == nil {
			break
		}
		if e.at.Before(last) {
			t.Fatalf("popped %v after %v", e.at, last)
		}
		if e.armed() {
			t.Fatal("popped entry still armed")
		}
		last = e.at
		n++
	}
	if len(h) != 0 {
		t.Fatalf("%d entries left", len(h))
	}
	if n == 0 {
		t.Fatal("nothing popped")
	}
}

func TestTimerHeapPopDueRespectsNow(t *testing.T) {
	var h timerHeap
	base := time.Unix(1000, 0)
	e := &timerEntry{index: -1}
	h.schedule(e, base.Add(time.Second))
	if h.popDue(base) != nil {
		t.Fatal("entry popped before its deadline")
	}
	if got := h.popDue(base.Add(time.Second)); got != e {
		t.Fatal("entry not popped at its deadline")
	}
}
