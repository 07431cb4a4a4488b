// Package chat is the terminal peer-to-peer chat of "nimbus chat", built
// the way a Flash NetStream.DIRECT_CONNECTIONS chat is: each side connects
// to the server, publishes a direct stream, and plays the stream of the
// peer it talks to; names and lines then travel peer to peer as
// NetStream.send("name", name) and NetStream.send("message", name, text).
// The server only introduces the peers (and, if its application offers an
// RPC lookup(name), finds a peer by name).
//
// Input is read line by line and output written line by line, so it works
// in any terminal, pipe or tmux pane.
package chat

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"nimbus/core"
	"nimbus/core/amf"
	"nimbus/rtmfp/flash"
)

// Stream and handler names on the wire.
const (
	streamName     = "chat"
	handlerName    = "name"
	handlerMessage = "message"
	lookupMethod   = "lookup"
)

// maxLine bounds an input line (bytes).
const maxLine = 16 << 10

// Errors of Run.
var (
	// ErrNoName: Config.Name is empty.
	ErrNoName = errors.New("chat: a name is required")
	// ErrDisconnected: the server ended the connection.
	ErrDisconnected = errors.New("chat: disconnected from the server")
)

// Config configures Run.
type Config struct {
	// URL is the server, "rtmfp://host[:port]/app".
	URL string
	// Name is the user's name, sent as the argument of connect and to
	// every peer.
	Name string
	// In is read line by line: text to send, or commands (/call, /quit,
	// /help).
	In io.Reader
	// Out receives what the chat prints.
	Out io.Writer
	// Dialer sets the client's options; the zero value is usable.
	Dialer flash.Dialer
	// Timeout bounds connecting, a lookup and a call; 0 means 10 s.
	Timeout time.Duration
}

// Run connects and chats until /quit, the end of In, the end of ctx
// (nil is returned for these three) or the end of the connection.
func Run(ctx context.Context, cfg Config) error {
	if cfg.Name == "" {
		return ErrNoName
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 10 * time.Second
	}
	out := &printer{w: cfg.Out}
	dialCtx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	c, err := cfg.Dialer.Dial(dialCtx, cfg.URL, cfg.Name)
	cancel()
	if err != nil {
		return fmt.Errorf("chat: connect to %s: %w", cfg.URL, err)
	}
	ctx, stop := context.WithCancel(ctx)
	s := &session{cfg: cfg, ctx: ctx, c: c, out: out, playing: make(map[core.PeerID]bool), names: make(map[core.PeerID]string)}
	defer func() {
		stop()
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
		s.wg.Wait()
		c.Close()
	}()
	pubCtx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	s.pub, err = c.NewStream(pubCtx)
	cancel()
	if err == nil {
		err = s.pub.PublishDirect(streamName, s.onPeerConnect)
	}
	if err != nil {
		return fmt.Errorf("chat: publish: %w", err)
	}
	out.line("connected to %s as %s", cfg.URL, cfg.Name)
	out.line("your peer ID: %s", c.PeerID())
	out.line("type /call <peer ID or name> to chat with someone, /quit to leave")
	s.spawn(s.announce)

	lines := make(chan string)
	go readLines(ctx, cfg.In, lines, out)
	for {
		select {
		case line, ok := <-lines:
			if !ok {
				return nil
			}
			if s.command(line) {
				return nil
			}
		case <-c.Done():
			out.line("* disconnected: %v", c.Err())
			return fmt.Errorf("%w: %w", ErrDisconnected, c.Err())
		case <-ctx.Done():
			return nil
		}
	}
}

// readLines sends the lines of r to lines and closes it at the end of r.
func readLines(ctx context.Context, r io.Reader, lines chan<- string, out *printer) {
	defer close(lines)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), maxLine)
	for sc.Scan() {
		select {
		case lines <- sc.Text():
		case <-ctx.Done():
			return
		}
	}
	if err := sc.Err(); err != nil {
		out.line("* input: %v", err)
	}
}

// printer writes whole lines from any goroutine.
type printer struct {
	mu sync.Mutex
	w  io.Writer
}

func (p *printer) line(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format+"\n", args...)
}

type session struct {
	cfg Config
	ctx context.Context
	c   *flash.Client
	pub *flash.Stream
	out *printer
	wg  sync.WaitGroup

	mu      sync.Mutex
	playing map[core.PeerID]bool
	names   map[core.PeerID]string
	closed  bool // no more goroutines may start
}

// spawn runs fn on a goroutine Run waits for, unless Run is ending.
func (s *session) spawn(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.closed {
		s.wg.Go(fn)
	}
}

// command handles one input line; it returns true to quit.
func (s *session) command(line string) bool {
	trimmed := strings.TrimSpace(line)
	switch {
	case trimmed == "":
		return false
	case trimmed == "/quit":
		s.out.line("* bye")
		return true
	case trimmed == "/help":
		s.out.line("/call <peer ID or name>  start a chat with a peer")
		s.out.line("/quit                    leave")
		s.out.line("anything else is sent to the peers you chat with")
		return false
	case trimmed == "/call" || strings.HasPrefix(trimmed, "/call "):
		target := strings.TrimSpace(strings.TrimPrefix(trimmed, "/call"))
		if target == "" {
			s.out.line("* usage: /call <peer ID or name>")
			return false
		}
		s.spawn(func() { s.call(target) })
		return false
	case strings.HasPrefix(trimmed, "/"):
		s.out.line("* unknown command %s (try /help)", strings.Fields(trimmed)[0])
		return false
	}
	if s.pub.PeerCount() == 0 {
		s.out.line("* nobody is listening yet: /call <peer ID or name> first")
		return false
	}
	if err := s.pub.Send(handlerMessage, s.cfg.Name, line); err != nil {
		s.out.line("* not sent: %v", err)
	}
	return false
}

// call finds target (a peer ID, or a name through the server's lookup)
// and plays its chat stream; the peer then plays ours back.
func (s *session) call(target string) {
	peer, err := core.ParsePeerID(target)
	if err != nil || len(target) != 64 {
		peer, err = s.lookup(target)
		if err != nil {
			s.out.line("* %v", err)
			return
		}
	}
	if peer == s.c.PeerID() {
		s.out.line("* that is you")
		return
	}
	s.out.line("* calling %s", target)
	s.play(peer)
}

// lookup asks the server's application for the peer ID of name.
func (s *session) lookup(name string) (core.PeerID, error) {
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.Timeout)
	defer cancel()
	res, err := s.c.Call(ctx, lookupMethod, name)
	if err != nil {
		var ce *flash.CallError
		if errors.As(err, &ce) {
			return core.PeerID{}, fmt.Errorf("%q is not a peer ID and the server does not look names up (%s)", name, ce.Code)
		}
		return core.PeerID{}, fmt.Errorf("lookup %q: %w", name, err)
	}
	if len(res) > 0 {
		if id, ok := peerIDOf(res[0]); ok {
			return id, nil
		}
	}
	return core.PeerID{}, fmt.Errorf("nobody is called %q", name)
}

// peerIDOf reads a lookup answer: the peer ID as text (hex or raw), or an
// object with a peer ID member.
func peerIDOf(v any) (core.PeerID, bool) {
	switch x := v.(type) {
	case string:
		id, err := core.ParsePeerID(x)
		return id, err == nil
	case *amf.Object:
		for _, k := range []string{"id", "peerId", "peerID", "farID"} {
			if m, ok := x.Get(k); ok {
				if id, ok := peerIDOf(m); ok {
					return id, true
				}
			}
		}
	}
	return core.PeerID{}, false
}

// onPeerConnect accepts every peer who plays our stream and plays theirs
// back, so that a call is answered without a command. It runs on the
// client's dispatch goroutine: the play runs on its own.
func (s *session) onPeerConnect(peer core.PeerID) bool {
	s.spawn(func() { s.play(peer) })
	return true
}

// play plays peer's chat stream (once per peer) and prints what comes.
func (s *session) play(peer core.PeerID) {
	s.mu.Lock()
	if s.playing[peer] {
		s.mu.Unlock()
		return
	}
	s.playing[peer] = true
	s.mu.Unlock()
	forget := func() {
		s.mu.Lock()
		delete(s.playing, peer)
		s.mu.Unlock()
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.Timeout)
	st, err := s.c.NewStream(ctx)
	if err == nil {
		err = st.PlayPeer(ctx, peer, streamName)
	}
	cancel()
	if err != nil {
		forget()
		if s.ctx.Err() == nil {
			s.out.line("* could not reach %s: %v", peer, err)
		}
		return
	}
	defer st.Close()
	for {
		p, err := st.Receive(s.ctx)
		if err != nil {
			forget()
			return
		}
		s.onData(peer, p)
	}
}

func (s *session) onData(peer core.PeerID, p flash.Packet) {
	switch p.Handler {
	case handlerName:
		if len(p.Args) == 0 {
			return
		}
		name, ok := p.Args[0].(string)
		if !ok {
			return
		}
		s.mu.Lock()
		s.names[peer] = name
		s.mu.Unlock()
		s.out.line("* %s joined the chat", name)
	case handlerMessage:
		if len(p.Args) < 2 {
			return
		}
		name, _ := p.Args[0].(string)
		text, ok := p.Args[1].(string)
		if !ok {
			return
		}
		if name == "" {
			s.mu.Lock()
			name = s.names[peer]
			s.mu.Unlock()
		}
		s.out.line("%s: %s", name, text)
	}
}

// announce sends our name to the peers of our stream whenever one more is
// attached (the publisher learns of a new player only through its count).
func (s *session) announce() {
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	known := 0
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
			n := s.pub.PeerCount()
			if n > known {
				if err := s.pub.Send(handlerName, s.cfg.Name); err != nil {
					s.out.line("* could not send your name: %v", err)
				}
			}
			known = n
		}
	}
}
