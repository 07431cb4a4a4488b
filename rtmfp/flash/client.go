package flash

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strings"
	"sync"

	"nimbus/core"
	"nimbus/core/amf"
	"nimbus/internal/queue"
	"nimbus/rtmfp"
	"nimbus/rtmfp/flash/message"
)

// Dialer holds the options of a client connection. The zero value is
// usable.
type Dialer struct {
	// LocalAddr is the UDP address the client binds; "" means ":0".
	LocalAddr string
	// Transport is the client endpoint's configuration; Handler, Server and
	// AcceptPeers are set by the client (it accepts introduced peers, as
	// Flash does, and decides per stream whether to serve them).
	Transport rtmfp.Config
	// PeerAddresses are the addresses reported with setPeerInfo. Nil means
	// the socket's address when it is bound to a specific IP, else none.
	PeerAddresses []netip.AddrPort
	// FlashVer is the flashVer property of connect; "" means
	// "WIN 11,7,700,202", the version of the captures the server side was
	// checked against.
	FlashVer string
	// AMF0 makes connect ask for objectEncoding 0 (AMF0), as
	// NetConnection.objectEncoding = 0 does; the default is 3.
	AMF0 bool
	// QueueLength bounds the packets each stream buffers for Receive, the
	// neighbours each group buffers, and the callbacks waiting for the
	// dispatch goroutine; beyond it they are dropped and counted. 0 means
	// 4096.
	QueueLength int
	// Logger receives the client's logs; nil means slog.Default().
	Logger *slog.Logger
}

const (
	defaultFlashVer    = "WIN 11,7,700,202"
	defaultQueueLength = 4096
)

// Dial connects to a Flash server at url ("rtmfp://host[:port]/app") with
// the default Dialer; args are the extra arguments of
// NetConnection.connect.
func Dial(ctx context.Context, url string, args ...any) (*Client, error) {
	var d Dialer
	return d.Dial(ctx, url, args...)
}

// Client is a Flash-like NetConnection to a server over RTMFP, with its
// NetStreams, direct peer-to-peer streams and NetGroups. Its methods are
// safe for concurrent use.
type Client struct {
	log      *slog.Logger
	ep       *rtmfp.Endpoint
	qlen     int
	dispatch *queue.Queue[func()]

	mu       sync.Mutex
	server   *rtmfp.Session
	nc       *rtmfp.SendFlow // our NetConnection flow
	ncReturn uint64          // the server's NetConnection return flow
	info     message.Status  // the connect answer
	sessions map[*rtmfp.Session]*clientSession
	nextTID  float64
	calls    map[float64]chan callAnswer
	handlers map[string]func(args []any)
	onStatus func(message.Status)
	direct   map[string]*Stream // direct publications by name
	peers    map[core.PeerID]*rtmfp.Session
	closed   bool
	closeErr error
	done     chan struct{}

	dispatchDone chan struct{}
	dropped      dropCounter
}

type callAnswer struct {
	args []any
	err  error
}

// dropCounter counts what queues refused.
type dropCounter struct {
	mu sync.Mutex
	n  uint64
}

func (d *dropCounter) add() {
	d.mu.Lock()
	d.n++
	d.mu.Unlock()
}

func (d *dropCounter) get() uint64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.n
}

// Dial connects to url: handshake, connect (with args), then setPeerInfo.
// Errors are *Error naming the step; a refused connect wraps *CallError.
func (d *Dialer) Dial(ctx context.Context, rawURL string, args ...any) (*Client, error) {
	c := &Client{
		log:          d.Logger,
		qlen:         d.QueueLength,
		sessions:     make(map[*rtmfp.Session]*clientSession),
		nextTID:      1,
		calls:        make(map[float64]chan callAnswer),
		handlers:     make(map[string]func([]any)),
		direct:       make(map[string]*Stream),
		peers:        make(map[core.PeerID]*rtmfp.Session),
		done:         make(chan struct{}),
		dispatchDone: make(chan struct{}),
	}
	if c.log == nil {
		c.log = slog.Default()
	}
	if c.qlen <= 0 {
		c.qlen = defaultQueueLength
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, opError("connect", err)
	}
	cfg := d.Transport
	cfg.Handler = (*clientHandler)(c)
	cfg.Server = false
	cfg.AcceptPeers = true
	if cfg.Logger == nil {
		cfg.Logger = c.log
	}
	local := d.LocalAddr
	if local == "" {
		local = ":0"
	}
	ep, err := rtmfp.Listen("udp", local, cfg)
	if err != nil {
		return nil, opError("listen", err)
	}
	c.ep = ep
	c.dispatch = queue.New[func()](c.qlen)
	go c.runDispatch()

	s, err := ep.Dial(ctx, rawURL)
	if err != nil {
		c.shutdown(err)
		return nil, opError("handshake", err)
	}
	nc, err := s.OpenFlow(ncMetadata, 0)
	if err != nil {
		c.shutdown(err)
		return nil, opError("connect", err)
	}
	cs := c.sessionOf(s)
	c.mu.Lock()
	c.server, c.nc = s, nc
	c.mu.Unlock()
	cs.expect(nc.ID(), &ncReceiver{c: c})

	flashVer := d.FlashVer
	if flashVer == "" {
		flashVer = defaultFlashVer
	}
	encoding := 3.0
	if d.AMF0 {
		encoding = 0
	}
	props := amf.NewObject(
		amf.Member{Key: "app", Value: strings.TrimPrefix(u.Path, "/")},
		amf.Member{Key: "flashVer", Value: flashVer},
		amf.Member{Key: "swfUrl", Value: amf.Undefined{}},
		amf.Member{Key: "tcUrl", Value: rawURL},
		amf.Member{Key: "fpad", Value: false},
		amf.Member{Key: "capabilities", Value: 235.0},
		amf.Member{Key: "audioCodecs", Value: 3575.0},
		amf.Member{Key: "videoCodecs", Value: 252.0},
		amf.Member{Key: "videoFunction", Value: 1.0},
		amf.Member{Key: "pageUrl", Value: amf.Undefined{}},
		amf.Member{Key: "objectEncoding", Value: encoding},
	)
	res, err := c.call(ctx, message.Command{Name: message.CommandConnect, Object: props, Args: args})
	if err != nil {
		c.shutdown(err)
		return nil, opError("connect", err)
	}
	if len(res) > 0 {
		if st, ok := message.ParseStatus(res[0]); ok {
			c.mu.Lock()
			c.info = st
			c.mu.Unlock()
		}
	}

	addrs := d.PeerAddresses
	if addrs == nil {
		if ap, err := netip.ParseAddrPort(ep.LocalAddr().String()); err == nil && !ap.Addr().IsUnspecified() {
			addrs = []netip.AddrPort{ap}
		}
	}
	info := make([]any, len(addrs))
	for i, a := range addrs {
		info[i] = a.String()
	}
	if err := c.invoke(message.Command{AMF3: true, Name: message.CommandSetPeerInfo, Args: info}); err != nil {
		c.shutdown(err)
		return nil, opError("connect", err)
	}
	return c, nil
}

// PeerID is the client's peer ID (the fingerprint of its certificate).
func (c *Client) PeerID() core.PeerID { return core.PeerID(c.ep.PeerID()) }

// LocalAddr is the client's UDP address.
func (c *Client) LocalAddr() netip.AddrPort {
	ap, _ := netip.ParseAddrPort(c.ep.LocalAddr().String())
	return ap
}

// ConnectInfo is the status object of the connect answer (its Extra holds
// objectEncoding and what the application added).
func (c *Client) ConnectInfo() message.Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.info
}

// Done is closed when the connection ended (Close, or the server closed
// the session).
func (c *Client) Done() <-chan struct{} { return c.done }

// Err reports why the connection ended, nil while it is open.
func (c *Client) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closeErr
}

// Dropped counts callbacks, packets and neighbours dropped because a queue
// was full.
func (c *Client) Dropped() uint64 { return c.dropped.get() }

// Handle registers fn for invocations of the client-side method name by the
// server (writer:writeInvocation). fn runs on the client's dispatch
// goroutine; nil removes the handler.
func (c *Client) Handle(name string, fn func(args []any)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if fn == nil {
		delete(c.handlers, name)
		return
	}
	c.handlers[name] = fn
}

// OnStatus registers fn for the NetConnection's onStatus messages (e.g.
// NetConnection.Call.Failed of a call without transaction, or
// NetConnection.Connect.Closed when the session ends). fn runs on the
// dispatch goroutine.
func (c *Client) OnStatus(fn func(message.Status)) {
	c.mu.Lock()
	c.onStatus = fn
	c.mu.Unlock()
}

// Call invokes the server method name (NetConnection.call with a
// responder) and waits for its answer: the "_result" values, or a
// *CallError for "_error".
func (c *Client) Call(ctx context.Context, name string, args ...any) ([]any, error) {
	res, err := c.call(ctx, message.Command{AMF3: true, Name: name, Args: args})
	return res, opError("call", err)
}

// Invoke calls the server method name without waiting for an answer
// (NetConnection.call without responder: transaction 0).
func (c *Client) Invoke(name string, args ...any) error {
	return opError("call", c.invoke(message.Command{AMF3: true, Name: name, Args: args}))
}

// call sends cmd with a new transaction ID on the NetConnection flow and
// waits for the answer.
func (c *Client) call(ctx context.Context, cmd message.Command) ([]any, error) {
	ch := make(chan callAnswer, 1)
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, ErrClosed
	}
	cmd.TID = c.nextTID
	c.nextTID++
	c.calls[cmd.TID] = ch
	nc := c.nc
	c.mu.Unlock()
	b, err := cmd.Append(nil)
	if err == nil {
		err = nc.Write(b)
	}
	if err != nil {
		c.dropCall(cmd.TID)
		return nil, err
	}
	select {
	case a := <-ch:
		return a.args, a.err
	case <-ctx.Done():
		c.dropCall(cmd.TID)
		return nil, ctx.Err()
	case <-c.done:
		return nil, ErrClosed
	}
}

func (c *Client) dropCall(tid float64) {
	c.mu.Lock()
	delete(c.calls, tid)
	c.mu.Unlock()
}

// invoke sends cmd with transaction 0 on the NetConnection flow.
func (c *Client) invoke(cmd message.Command) error {
	c.mu.Lock()
	nc, closed := c.nc, c.closed
	c.mu.Unlock()
	if closed {
		return ErrClosed
	}
	b, err := cmd.Append(nil)
	if err != nil {
		return err
	}
	return nc.Write(b)
}

// answer completes the call tid (session loop).
func (c *Client) answer(tid float64, a callAnswer) {
	c.mu.Lock()
	ch := c.calls[tid]
	delete(c.calls, tid)
	c.mu.Unlock()
	if ch != nil {
		ch <- a
	}
}

// Close ends the connection: the session with the server, peer sessions,
// and the client's socket.
func (c *Client) Close() error {
	c.shutdown(ErrClosed)
	err := c.ep.Close()
	<-c.dispatchDone
	return err
}

// shutdown marks the client closed once and fails what waits.
func (c *Client) shutdown(reason error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.closeErr = reason
	server := c.server
	close(c.done)
	c.mu.Unlock()
	if server != nil {
		server.Close()
	}
	if c.dispatch != nil {
		c.dispatch.Close()
	}
	if c.server == nil && c.ep != nil {
		// Dial failed before a session existed.
		c.ep.Close()
	}
}

// post runs fn on the dispatch goroutine; when its queue is full fn is
// dropped and counted.
func (c *Client) post(fn func()) {
	if !c.dispatch.Push(fn) {
		c.dropped.add()
	}
}

func (c *Client) runDispatch() {
	defer close(c.dispatchDone)
	for {
		select {
		case <-c.dispatch.Ready():
			for _, fn := range c.dispatch.Pop() {
				fn()
			}
		case <-c.done:
			// Run what was queued before the end, then stop.
			for _, fn := range c.dispatch.Pop() {
				fn()
			}
			return
		}
	}
}

// serverClosed is called when the session with the server ends.
func (c *Client) serverClosed(err error) {
	if err == nil {
		err = ErrClosed
	}
	c.mu.Lock()
	fn := c.onStatus
	c.mu.Unlock()
	if fn != nil {
		st := message.Status{Level: message.LevelStatus, Code: "NetConnection.Connect.Closed", Description: fmt.Sprint(err)}
		c.post(func() { fn(st) })
	}
	c.shutdown(fmt.Errorf("%w: %w", ErrClosed, err))
}

// sessionOf returns the handler of session s.
func (c *Client) sessionOf(s *rtmfp.Session) *clientSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	cs := c.sessions[s]
	if cs == nil {
		cs = newClientSession(c, s)
		c.sessions[s] = cs
	}
	return cs
}

func (c *Client) isServer(s *rtmfp.Session) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.server == s
}

// clientHandler is the rtmfp.Handler of the client's endpoint.
type clientHandler Client

// NewSession registers a session: the one with the server, or a peer's. A
// session a peer opened to us is reused when we play from that peer, so
// that one pair of peers has one session (a second handshake with the same
// certificate would replace the first).
func (h *clientHandler) NewSession(s *rtmfp.Session) rtmfp.SessionHandler {
	c := (*Client)(h)
	if !s.Initiator() {
		peer := core.PeerID(s.FarPeerID())
		c.mu.Lock()
		if c.peers[peer] == nil {
			c.peers[peer] = s
		}
		c.mu.Unlock()
	}
	return c.sessionOf(s)
}

// Rendezvous is never asked of a client endpoint (not a server).
func (h *clientHandler) Rendezvous(rtmfp.RendezvousRequest) {}

// Hello answers at once.
func (h *clientHandler) Hello(rtmfp.HelloRequest) bool { return false }

// ncReceiver handles what the server sends on NetConnection flows: call
// answers, statuses, invocations and user control.
type ncReceiver struct {
	c *Client
}

func (r *ncReceiver) onMessage(cs *clientSession, f *rtmfp.RecvFlow, msg []byte) {
	c := r.c
	m, _, err := message.ParseMessage(msg)
	if err != nil {
		return
	}
	switch m.Type {
	case message.TypeUserControl:
		// Set Keepalive Timers: the transport's own keepalive stays in
		// charge (rtmfp.Config.Keepalive); nothing to do.
		return
	case message.TypeCommandAMF0, message.TypeCommandAMF3:
	default:
		return
	}
	cmd, _, err := message.ParseCommand(msg)
	if err != nil {
		c.log.Debug("flash: client: bad command", "err", err)
		return
	}
	switch cmd.Name {
	case message.CommandResult:
		c.answer(cmd.TID, callAnswer{args: cmd.Args})
	case message.CommandError:
		ce := &CallError{}
		if len(cmd.Args) > 0 {
			if st, ok := message.ParseStatus(cmd.Args[0]); ok {
				ce.Code, ce.Description = st.Code, st.Description
			}
		}
		c.answer(cmd.TID, callAnswer{err: ce})
	case message.CommandOnStatus:
		if len(cmd.Args) == 0 {
			return
		}
		st, ok := message.ParseStatus(cmd.Args[0])
		if !ok {
			return
		}
		c.mu.Lock()
		fn := c.onStatus
		c.mu.Unlock()
		if fn != nil {
			c.post(func() { fn(st) })
		}
	case message.CommandClose:
		// The server rejected or dismissed us; it closes the session.
	default:
		c.mu.Lock()
		fn := c.handlers[cmd.Name]
		c.mu.Unlock()
		if fn != nil {
			args := cmd.Args
			c.post(func() { fn(args) })
		}
	}
}

func (r *ncReceiver) onEnd(*clientSession, *rtmfp.RecvFlow) {}
