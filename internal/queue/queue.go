// Package queue provides the intra-process queue that carries work between
// goroutines in Nimbus: producers never block, the single consumer takes the
// whole backlog at once, and the length is bounded so that a slow consumer
// turns into an explicit overflow decision at the producer instead of
// unbounded memory growth.
package queue

import "sync"

// Queue is a bounded multi-producer, single-consumer queue.
//
// Producers call Push; it never blocks and reports false when the queue is
// full or closed, so each producer applies its own overflow policy (drop a
// media packet, shed a client...). The consumer waits on Ready and takes
// everything queued with Pop.
type Queue[T any] struct {
	mu     sync.Mutex
	items  []T
	spare  []T
	limit  int
	closed bool
	ready  chan struct{}
}

// New returns a queue that holds at most limit items (limit <= 0 means 1).
func New[T any](limit int) *Queue[T] {
	if limit <= 0 {
		limit = 1
	}
	return &Queue[T]{limit: limit, ready: make(chan struct{}, 1)}
}

// Push appends v. It returns false, leaving the queue unchanged, when the
// queue already holds its limit or has been closed.
func (q *Queue[T]) Push(v T) bool { return q.push(v, false) }

// ForcePush appends v even when the queue is at its limit (but not when it is
// closed). It is for items that must not be lost and whose number is bounded
// by other means, such as one teardown notice per client.
func (q *Queue[T]) ForcePush(v T) bool { return q.push(v, true) }

func (q *Queue[T]) push(v T, force bool) bool {
	q.mu.Lock()
	if q.closed || (!force && len(q.items) >= q.limit) {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, v)
	wake := len(q.items) == 1
	q.mu.Unlock()
	if wake {
		select {
		case q.ready <- struct{}{}:
		default:
		}
	}
	return true
}

// Ready is signalled (one slot, coalesced) when items become available.
func (q *Queue[T]) Ready() <-chan struct{} { return q.ready }

// Pop takes every queued item. The returned slice is owned by the caller
// until the next call to Pop, which recycles it; callers must not keep
// references into it across calls.
func (q *Queue[T]) Pop() []T {
	q.mu.Lock()
	out := q.items
	clear(q.spare)
	q.items = q.spare[:0]
	q.spare = out
	q.mu.Unlock()
	return out
}

// Len reports the number of queued items.
func (q *Queue[T]) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// Close makes every later Push fail. Items already queued can still be popped.
func (q *Queue[T]) Close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}
