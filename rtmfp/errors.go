package rtmfp

import (
	"errors"
	"fmt"
	"net"
)

// Configuration errors.
var (
	// ErrNoHandler: Config.Handler is required.
	ErrNoHandler = errors.New("no handler")
	// ErrBadConfig reports an invalid configuration value.
	ErrBadConfig = errors.New("invalid configuration")
)

// Errors returned by the API and passed to SessionHandler.OnClosed. The
// closed-state errors wrap net.ErrClosed, so errors.Is(err, net.ErrClosed)
// holds for every reason a session or endpoint is gone.
var (
	// ErrEndpointClosed: the endpoint was closed.
	ErrEndpointClosed = fmt.Errorf("rtmfp: endpoint closed: %w", net.ErrClosed)
	// ErrSessionClosed: the session is closed (locally or by the peer).
	ErrSessionClosed = fmt.Errorf("rtmfp: session closed: %w", net.ErrClosed)
	// ErrPeerClosed: the far end asked to close the session (0x0c).
	ErrPeerClosed = fmt.Errorf("rtmfp: closed by peer: %w", net.ErrClosed)
	// ErrAborted: the far end aborted the session (0x4c out of turn).
	ErrAborted = fmt.Errorf("rtmfp: aborted by peer: %w", net.ErrClosed)
	// ErrIdleTimeout: nothing was received for Config.IdleTimeout.
	ErrIdleTimeout = fmt.Errorf("rtmfp: idle timeout: %w", net.ErrClosed)
	// ErrRetransmitLimit: data stayed unacknowledged for too long.
	ErrRetransmitLimit = fmt.Errorf("rtmfp: retransmission limit reached: %w", net.ErrClosed)
	// ErrReplaced: a new handshake with the same certificate from the same
	// address replaced the session.
	ErrReplaced = fmt.Errorf("rtmfp: replaced by a new session: %w", net.ErrClosed)
	// ErrHandshakeTimeout: the far end did not complete the handshake in
	// time.
	ErrHandshakeTimeout = errors.New("rtmfp: handshake timed out")
	// ErrTooManySessions: Config.MaxSessions is reached.
	ErrTooManySessions = errors.New("rtmfp: too many sessions")
	// ErrTooManyFlows: Config.MaxFlowsPerSession is reached.
	ErrTooManyFlows = errors.New("rtmfp: too many flows")
	// ErrFlowFull: the send flow holds Config.MaxFlowQueue bytes already.
	ErrFlowFull = errors.New("rtmfp: flow queue full")
	// ErrFlowClosed: the send flow was closed.
	ErrFlowClosed = errors.New("rtmfp: flow closed")
	// ErrFlowRejected: the far end rejected the flow (0x5e).
	ErrFlowRejected = errors.New("rtmfp: flow rejected by peer")
	// ErrBadURL: Dial was given a URL it cannot use.
	ErrBadURL = errors.New("rtmfp: bad URL")
	// ErrNoAddress: the rendezvous produced no address to try.
	ErrNoAddress = errors.New("rtmfp: no address")
	// ErrTooLarge: an answer would exceed the amplification bound or the
	// packet size.
	ErrTooLarge = errors.New("rtmfp: answer too large")
	// ErrBusy: an event loop queue is full.
	ErrBusy = errors.New("rtmfp: busy")
)
