package bench

import (
	"context"
	"errors"
	"net"
	"sort"
	"sync"

	"nimbus/rtmfp"
	"nimbus/rtmfp/flash"
)

// Configuration errors.
var (
	// ErrBadConfig: a scenario was given a value it cannot run with.
	ErrBadConfig = errors.New("bench: invalid configuration")
	// ErrNoTarget: not one client could be set up against the server.
	ErrNoTarget = errors.New("bench: could not set up against the server")
)

// Error kinds a scenario counts (the keys of Summary.Errors).
const (
	kindTimeout     = "timeout"
	kindHandshake   = "handshake timeout"
	kindClosed      = "closed"
	kindFlowFull    = "flow full"
	kindRejected    = "rejected"
	kindCallFailed  = "call failed"
	kindBadAnswer   = "bad answer"
	kindTooMany     = "too many sessions"
	kindStatus      = "error status"
	kindOther       = "other"
	kindLost        = "lost"
	kindOutOfOrder  = "out of order"
	kindClientDrops = "client queue drops"
)

// maxKinds bounds the distinct kinds kept; the rest count as "other".
const maxKinds = 32

// errorCounts counts errors by kind and keeps the first message of each
// kind, to say what went wrong without logging every occurrence.
type errorCounts struct {
	mu      sync.Mutex
	counts  map[string]uint64
	samples map[string]string
	total   uint64
}

func newErrorCounts() *errorCounts {
	return &errorCounts{counts: make(map[string]uint64), samples: make(map[string]string)}
}

// add counts err under its kind.
func (e *errorCounts) add(err error) { e.addKind(classify(err), err.Error()) }

// addKind counts one error of kind with message msg.
func (e *errorCounts) addKind(kind, msg string) { e.addN(kind, msg, 1) }

func (e *errorCounts) addN(kind, msg string, n uint64) {
	if n == 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if _, ok := e.counts[kind]; !ok && len(e.counts) >= maxKinds {
		kind = kindOther
	}
	e.counts[kind] += n
	e.total += n
	if _, ok := e.samples[kind]; !ok && msg != "" {
		if len(msg) > 200 {
			msg = msg[:200]
		}
		e.samples[kind] = msg
	}
}

// Total is the number of errors counted.
func (e *errorCounts) Total() uint64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.total
}

// snapshot returns copies of the counts and samples.
func (e *errorCounts) snapshot() (map[string]uint64, map[string]string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := make(map[string]uint64, len(e.counts))
	for k, v := range e.counts {
		c[k] = v
	}
	s := make(map[string]string, len(e.samples))
	for k, v := range e.samples {
		s[k] = v
	}
	return c, s
}

// classify names the kind of an error from the client or the transport.
func classify(err error) string {
	var ce *flash.CallError
	var se *flash.StatusError
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return kindTimeout
	case errors.Is(err, rtmfp.ErrHandshakeTimeout):
		return kindHandshake
	case errors.Is(err, rtmfp.ErrFlowFull):
		return kindFlowFull
	case errors.Is(err, rtmfp.ErrTooManySessions):
		return kindTooMany
	case errors.Is(err, rtmfp.ErrFlowRejected):
		return kindRejected
	case errors.As(err, &ce):
		if ce.Code != "" {
			return ce.Code
		}
		return kindCallFailed
	case errors.As(err, &se):
		if se.Code != "" {
			return se.Code
		}
		return kindStatus
	case errors.Is(err, flash.ErrBadAnswer), errors.Is(err, errBadEcho):
		return kindBadAnswer
	case errors.Is(err, net.ErrClosed):
		return kindClosed
	}
	var fe *flash.Error
	if errors.As(err, &fe) {
		return fe.Op + ": " + kindOther
	}
	return kindOther
}

// sortedKinds returns the kinds of m, most frequent first.
func sortedKinds(m map[string]uint64) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	return keys
}
