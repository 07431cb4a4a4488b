package script

import (
	"sync"
	"sync/atomic"
	"time"
)

// budget is the context.Context installed on the LState (and on every
// coroutine thread) so that a runaway event is interrupted. gopher-lua checks
// ctx.Done() before every instruction, so Done must be cheap: it is one atomic
// load. A watchdog goroutine closes the channel when the outermost running
// event has been running longer than the limit; the channel is replaced once
// that event has unwound, so the next event starts with a fresh budget.
//
// A per-event context.WithTimeout would cost a timer allocation per event and
// would cancel, forever, every coroutine created under it (gopher-lua derives
// thread contexts with context.WithCancel).
type budget struct {
	limit time.Duration
	epoch time.Time

	done    atomic.Pointer[chan struct{}]
	started atomic.Int64 // monotonic ns since epoch of the running outer event; 0 = idle
	expired atomic.Bool

	depth int // owner goroutine only: nesting of protected calls

	mu   sync.Mutex // serialises closing/replacing done
	stop chan struct{}
	wg   sync.WaitGroup
}

func newBudget(limit time.Duration) *budget {
	b := &budget{limit: limit, epoch: time.Now(), stop: make(chan struct{})}
	ch := make(chan struct{})
	b.done.Store(&ch)
	if limit > 0 {
		b.wg.Add(1)
		go b.watch()
	}
	return b
}

func (b *budget) now() int64 { return int64(time.Since(b.epoch)) + 1 }

// watch polls at a tenth of the limit (bounded to 5..100 ms), so an event is
// interrupted between limit and limit+tick after it started.
func (b *budget) watch() {
	defer b.wg.Done()
	tick := min(max(b.limit/10, 5*time.Millisecond), 100*time.Millisecond)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-b.stop:
			return
		case <-t.C:
		}
		s := b.started.Load()
		if s == 0 || time.Duration(b.now()-s) < b.limit {
			continue
		}
		b.mu.Lock()
		if b.started.Load() == s && !b.expired.Load() {
			b.expired.Store(true)
			close(*b.done.Load())
		}
		b.mu.Unlock()
	}
}

// enter marks the start of a protected call; it returns true for the
// outermost one, which owns the budget.
func (b *budget) enter() bool {
	b.depth++
	if b.depth == 1 {
		b.started.Store(b.now())
		return true
	}
	return false
}

// leave ends a call started with enter and reports whether the outermost
// call was interrupted. A fresh channel is installed after an interruption.
func (b *budget) leave() (interrupted bool) {
	b.depth--
	if b.depth > 0 {
		return b.expired.Load()
	}
	b.started.Store(0)
	if !b.expired.Load() {
		return false
	}
	b.mu.Lock()
	ch := make(chan struct{})
	b.done.Store(&ch)
	b.expired.Store(false)
	b.mu.Unlock()
	return true
}

func (b *budget) close() {
	select {
	case <-b.stop:
	default:
		close(b.stop)
	}
	b.wg.Wait()
}

// context.Context implementation.

func (b *budget) Deadline() (time.Time, bool) { return time.Time{}, false }
func (b *budget) Done() <-chan struct{}       { return *b.done.Load() }
func (b *budget) Value(any) any               { return nil }
func (b *budget) Err() error {
	if b.expired.Load() {
		return ErrBudgetExceeded
	}
	return nil
}

// AfterFunc makes context.WithCancel(budget) skip its watcher goroutine (one
// per coroutine otherwise). Children are not cancelled with the budget; the
// host installs the budget itself on every coroutine thread instead.
func (b *budget) AfterFunc(func()) func() bool { return func() bool { return true } }
