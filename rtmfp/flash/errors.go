package flash

import (
	"errors"
	"fmt"
	"net"
)

// Error is what the client's methods return: the step that failed (Op:
// "listen", "handshake", "connect", "call", "createStream", "publish",
// "play", "peer", "send", "join"...) and why.
type Error struct {
	Op  string
	Err error
}

func (e *Error) Error() string { return "flash: " + e.Op + ": " + e.Err.Error() }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func opError(op string, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Op: op, Err: err}
}

// CallError is an "_error" answer of the server: to connect
// (NetConnection.Connect.Rejected, NetConnection.Connect.InvalidApp...) or
// to a call (NetConnection.Call.Failed).
type CallError struct {
	Code        string
	Description string
}

func (e *CallError) Error() string { return e.Code + ": " + e.Description }

// StatusError is an error status (level "error") a stream received, such as
// NetStream.Publish.BadName or NetStream.Play.Failed.
type StatusError struct {
	Code        string
	Description string
}

func (e *StatusError) Error() string { return e.Code + ": " + e.Description }

// Errors the client's methods wrap.
var (
	// ErrClosed: the client, or its session with the server, is closed.
	ErrClosed = fmt.Errorf("flash: client closed: %w", net.ErrClosed)
	// ErrBadAnswer: the server answered with something that is not what
	// the command expects.
	ErrBadAnswer = errors.New("flash: unexpected answer")
	// ErrNotPublishing: media was written on a stream that does not
	// publish.
	ErrNotPublishing = errors.New("flash: stream is not publishing")
	// ErrNameInUse: a direct publication of that name exists already.
	ErrNameInUse = errors.New("flash: name already published")
	// ErrBadGroup: the group is neither a "G:" specifier nor a 64-digit
	// hex ID.
	ErrBadGroup = errors.New("flash: bad group specifier")
)
