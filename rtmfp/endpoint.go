package rtmfp

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"nimbus/rtmfp/crypto"
)

// closeWait bounds how long Endpoint.Close waits for orderly closes.
const closeWait = 3 * time.Second

// timeCriticalWindow: TCR is set for this long after time-critical data
// was received on another session (rtmfp-cpp).
const timeCriticalWindow = 800 * time.Millisecond

// Endpoint is an RTMFP endpoint on one socket: it accepts sessions
// (responder), opens them (initiator) and can do both at once.
type Endpoint struct {
	cfg   Config
	log   *slog.Logger
	conn  datagramConn
	loops []*loop
	stats endpointStats
	start time.Time
	id    *identity

	cookies   *crypto.CookieJar
	ephemeral *crypto.EphemeralKeys // server handshake key pairs
	random    io.Reader
	dhSem     chan struct{}
	keyings   *keyingCache
	addrs     *addrIndex
	loopNext  atomic.Uint32
	sessionsN atomic.Int64

	// tagsMu guards the initiator indexes the reader consults: openings
	// by IHello tag, unfinished peer openings by peer ID (glare), and the
	// P2P session with each peer (DialPeer reuse, glareGrace). Each
	// opening holds a session reservation and each recorded session is
	// live, so all three are bounded by MaxSessions.
	tagsMu       sync.Mutex
	tags         map[[16]byte]*opening
	peerOpenings map[[32]byte][]*opening
	peerSessions map[[32]byte]peerSession
	// peerSessionsN mirrors len(peerSessions) so that closing a session
	// skips the lock on endpoints that never record any.
	peerSessionsN atomic.Int64

	// Reader-owned.
	readerKey *crypto.PacketKey
	hellos    *helloLimiter
	attempts  *attemptCounter

	keyPool sync.Pool // *crypto.PacketKey for startup packets sent off-loop

	tcAtNs atomic.Int64
	tcSID  atomic.Uint32

	closing   atomic.Bool
	closedCh  chan struct{}
	drained   chan struct{}
	drainOnce sync.Once
	closeOnce sync.Once
	readerWG  sync.WaitGroup
}

// Listen opens a UDP socket ("udp", "udp4" or "udp6") and serves it.
func Listen(network, address string, cfg Config) (*Endpoint, error) {
	pc, err := net.ListenPacket(listenNetwork(network, address), address)
	if err != nil {
		return nil, fmt.Errorf("rtmfp: listen: %w", err)
	}
	e, err := NewEndpoint(pc, cfg)
	if err != nil {
		pc.Close()
		return nil, err
	}
	return e, nil
}

// listenNetwork narrows "udp" to the family of a literal address. A wildcard
// "[::]" socket is then IPv6-only (Go sets IPV6_V6ONLY for udp6), so that the
// default configuration can listen on both 0.0.0.0:1935 and [::]:1935;
// a dual-stack "[::]" socket would take the IPv4 port too.
func listenNetwork(network, address string) string {
	if network != "udp" {
		return network
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return network
	}
	ip, err := netip.ParseAddr(host)
	switch {
	case err != nil:
		return network
	case ip.Is4():
		return "udp4"
	}
	return "udp6"
}

// NewEndpoint serves an existing packet socket; the endpoint owns it from
// now on and closes it in Close.
func NewEndpoint(conn net.PacketConn, cfg Config) (*Endpoint, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	id, err := newIdentity(&cfg)
	if err != nil {
		return nil, err
	}
	random := io.Reader(rand.Reader)
	if cfg.testHooks != nil && cfg.testHooks.random != nil {
		random = cfg.testHooks.random
	}
	jar, err := crypto.NewCookieJar(nil, cfg.CookieLifetime)
	if err != nil {
		return nil, err
	}
	readerKey, err := crypto.NewDefaultPacketKey()
	if err != nil {
		return nil, err
	}
	if uc, ok := conn.(*net.UDPConn); ok && cfg.SocketBuffer > 0 {
		if err := uc.SetReadBuffer(cfg.SocketBuffer); err != nil {
			cfg.Logger.Debug("rtmfp: socket receive buffer", slog.Int("bytes", cfg.SocketBuffer), slog.Any("err", err))
		}
		if err := uc.SetWriteBuffer(cfg.SocketBuffer); err != nil {
			cfg.Logger.Debug("rtmfp: socket send buffer", slog.Int("bytes", cfg.SocketBuffer), slog.Any("err", err))
		}
	}
	e := &Endpoint{
		cfg:          cfg,
		log:          cfg.Logger,
		conn:         newDatagramConn(conn),
		start:        time.Now(),
		id:           id,
		cookies:      jar,
		ephemeral:    crypto.NewEphemeralKeys(random, cfg.KeypairReuse),
		random:       random,
		dhSem:        make(chan struct{}, cfg.MaxConcurrentDH),
		keyings:      newKeyingCache(keyingCacheSize, cfg.CookieLifetime),
		addrs:        newAddrIndex(),
		tags:         make(map[[16]byte]*opening),
		peerOpenings: make(map[[32]byte][]*opening),
		peerSessions: make(map[[32]byte]peerSession),
		readerKey:    readerKey,
		hellos:       newHelloLimiter(cfg.HelloRate, cfg.HelloBurst),
		attempts:     newAttemptCounter(),
		closedCh:     make(chan struct{}),
		drained:      make(chan struct{}),
	}
	e.keyPool.New = func() any {
		k, _ := crypto.NewDefaultPacketKey()
		return k
	}
	e.loops = make([]*loop, cfg.Loops)
	for i := range e.loops {
		l, err := newLoop(e, i)
		if err != nil {
			return nil, err
		}
		if h := cfg.testHooks; h != nil && h.nextSID != 0 {
			l.sidNext = h.nextSID
		}
		e.loops[i] = l
	}
	for _, l := range e.loops {
		go l.run()
	}
	e.readerWG.Add(1)
	go e.readLoop()
	return e, nil
}

// LocalAddr is the socket's address.
func (e *Endpoint) LocalAddr() net.Addr { return e.conn.localAddr() }

// PeerID is our fingerprint: SHA-256 of the certificate we answer RHellos
// with (a server's farID, a client's peer ID).
func (e *Endpoint) PeerID() [32]byte { return e.id.peerID }

// Certificate returns a copy of the certificate we answer RHellos with.
func (e *Endpoint) Certificate() []byte { return append([]byte(nil), e.id.responderCert...) }

// debugOn reports whether debug logs are wanted; callers check it before
// building log attributes, so that drop paths cost nothing under a flood.
func (e *Endpoint) debugOn() bool { return e.log.Enabled(context.Background(), slog.LevelDebug) }

// Stats returns the endpoint's counters.
func (e *Endpoint) Stats() Stats { return e.stats.snapshot() }

// timestamp is the endpoint clock in 4 ms ticks, mod 65536.
func (e *Endpoint) timestamp(now time.Time) uint16 { return uint16(now.Sub(e.start) / tsTick) }

// pickLoop spreads new sessions over the loops.
func (e *Endpoint) pickLoop() *loop {
	return e.loops[int(e.loopNext.Add(1))%len(e.loops)]
}

// loopFor is the loop owning session ID sid.
func (e *Endpoint) loopFor(sid uint32) *loop { return e.loops[sid%uint32(len(e.loops))] }

// noteTimeCritical records time-critical data received on session sid.
func (e *Endpoint) noteTimeCritical(now time.Time, sid uint32) {
	e.tcAtNs.Store(now.UnixNano())
	e.tcSID.Store(sid)
}

// timeCriticalElsewhere reports whether another session than sid received
// time-critical data recently (the TCR rule of RFC 7016 §2.2.4). Only the
// latest such session is remembered, so the rule is approximate when
// several sessions carry time-critical data at once.
func (e *Endpoint) timeCriticalElsewhere(now time.Time, sid uint32) bool {
	at := e.tcAtNs.Load()
	return at != 0 && now.UnixNano()-at < int64(timeCriticalWindow) && e.tcSID.Load() != sid
}

// reserveSession counts a session in the making; false when MaxSessions is
// reached.
func (e *Endpoint) reserveSession() bool {
	if e.sessionsN.Add(1) > int64(e.cfg.MaxSessions) {
		e.sessionsN.Add(-1)
		e.stats.sessionsRefused.Add(1)
		return false
	}
	return true
}

func (e *Endpoint) unreserveSession() { e.releaseSessionCount() }

func (e *Endpoint) releaseSessionCount() {
	if e.sessionsN.Add(-1) == 0 && e.closing.Load() {
		e.drainOnce.Do(func() { close(e.drained) })
	}
}

// sessionOpened registers an established session (loop of s).
func (e *Endpoint) sessionOpened(s *Session) {
	s.loop.sessions[s.id] = s
	e.addrs.add(s.addr, s)
	e.stats.sessionsOpened.Add(1)
	e.stats.sessionsActive.Add(1)
}

// sessionClosed unregisters a session that terminated (loop of s).
func (e *Endpoint) sessionClosed(s *Session) {
	e.addrs.remove(s.addr, s)
	e.forgetPeerSession(s)
	e.stats.sessionsClosed.Add(1)
	e.stats.sessionsActive.Add(^uint64(0))
	e.releaseSessionCount()
}

// readLoop is the socket reader: it routes session packets to their loop
// by session ID and answers handshake packets itself.
func (e *Endpoint) readLoop() {
	defer e.readerWG.Done()
	pkts := make([]*packet, readBatchSize)
	for i := range pkts {
		pkts[i] = newPacket()
	}
	defer func() {
		for _, p := range pkts {
			p.release()
		}
	}()
	for {
		n, err := e.conn.readBatch(pkts)
		if err != nil {
			if e.closing.Load() || errors.Is(err, net.ErrClosed) {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			e.log.Warn("rtmfp: socket read", slog.Any("err", err))
			if errors.Is(err, io.EOF) {
				return
			}
			continue
		}
		now := time.Now()
		for i := 0; i < n; i++ {
			p := pkts[i]
			e.stats.packetsIn.Add(1)
			e.stats.bytesIn.Add(uint64(p.n))
			if e.dispatch(now, p) {
				pkts[i] = newPacket()
			}
		}
	}
}

// dispatch handles one datagram; it returns true when the packet was
// handed to a loop (which releases it).
func (e *Endpoint) dispatch(now time.Time, p *packet) bool {
	b := p.data()
	if e.cfg.Blocked != nil && e.cfg.Blocked(p.from.Addr()) {
		e.stats.droppedBlocked.Add(1)
		return false
	}
	if len(b) < crypto.MinPacketSize {
		e.stats.droppedMalformed.Add(1)
		return false
	}
	sid, _ := crypto.SSID(b)
	if sid == 0 {
		e.onStartupPacket(now, p.from, b)
		return false
	}
	if !e.loopFor(sid).push(loopEvent{kind: evPacket, pkt: p}) {
		e.stats.droppedQueueFull.Add(1)
		return false
	}
	return true
}

// Close closes every session in order (0x0c, waiting up to 3 s for the
// acknowledgements), then stops the loops and closes the socket.
func (e *Endpoint) Close() error {
	e.closeOnce.Do(func() {
		e.closing.Store(true)
		close(e.closedCh)
		for _, l := range e.loops {
			l.post(func() {
				for _, s := range l.sessions {
					s.beginClose(l.now)
				}
			})
		}
		if e.sessionsN.Load() == 0 {
			e.drainOnce.Do(func() { close(e.drained) })
		}
		wait := closeWait
		if h := e.cfg.testHooks; h != nil && h.closeWait > 0 {
			wait = h.closeWait
		}
		t := time.NewTimer(wait)
		select {
		case <-e.drained:
		case <-t.C:
		}
		t.Stop()
		for _, l := range e.loops {
			if !l.post(func() { l.stopping = true }) {
				continue
			}
		}
		for _, l := range e.loops {
			<-l.done
		}
		e.conn.close()
		e.readerWG.Wait()
	})
	return nil
}

// writeStartup seals a startup packet (default key, MOD 3) with SSID ssid
// and writes it from the calling goroutine.
func (e *Endpoint) writeStartup(to netip.AddrPort, ssid uint32, body []byte) error {
	k := e.keyPool.Get().(*crypto.PacketKey)
	var buf [maxDatagram + crypto.MaxOverhead]byte
	pkt := k.Seal(buf[:0], ssid, body)
	e.keyPool.Put(k)
	return e.writeDatagram(pkt, to)
}

func (e *Endpoint) writeDatagram(pkt []byte, to netip.AddrPort) error {
	if err := e.conn.writeOne(pkt, to); err != nil {
		e.stats.writeErrors.Add(1)
		return err
	}
	e.stats.packetsOut.Add(1)
	e.stats.bytesOut.Add(uint64(len(pkt)))
	return nil
}
