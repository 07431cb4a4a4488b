package rtmfp

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"time"

	"nimbus/rtmfp/crypto"
	"nimbus/rtmfp/wire"
)

// Initiator timing (RFC 7016 §3.5.1, rtmfp-cpp): the first retransmission
// after 1 s, each interval 1.5 s longer than the previous, give up after
// 95 s.
const (
	helloFirstRetry = time.Second
	helloRetryStep  = 1500 * time.Millisecond
	openingTimeout  = 95 * time.Second
	// maxTargets bounds the addresses an opening sends IHellos to.
	maxTargets = 16
	// defaultPort is RTMFP's default UDP port.
	defaultPort = 1935
)

// Opening stages.
const (
	stageHello  uint8 = iota // sending IHello, waiting for RHello
	stageKeying              // sending IIKeying, waiting for RIKeying
	// stageYielded: the opening lost a glare (or yielded before its own
	// IIKeying left) and waits for the responder session that the far
	// end's handshake is creating.
	stageYielded
	stageDone
)

// glareGrace is how long a session we initiated to a peer is protected
// from that peer's IIKeying: such a keying is the late retransmission of
// a glare the peer lost, not a restarted client. Past it the replace
// rule applies again; a restarted client's keying is retransmitted for
// 95 s, so it gets through after at most about this long.
const glareGrace = 10 * time.Second

type dialResult struct {
	s   *Session
	err error
	// existing: s was not created by this opening (a responder session
	// with the peer, or one opened earlier); a cancelled dial must not
	// close it.
	existing bool
}

// opening is an initiator handshake in progress, owned by a loop.
type opening struct {
	ep    *Endpoint
	loop  *loop
	timer timerEntry

	sid     uint32
	tag     [16]byte
	epd     []byte
	peer    [32]byte // expected responder fingerprint (DialPeer)
	isPeer  bool
	targets []netip.AddrPort

	stage     uint8
	deadline  time.Time
	nextSend  time.Time
	interval  time.Duration
	responder netip.AddrPort
	cookie    []byte
	cookieChg bool
	skic      []byte
	iikBody   []byte
	farPeerID [32]byte
	staticKey []byte // responder's static key (P2P)
	secret    []byte // computed early for a static responder

	glareCounted bool // GlareWon or GlareLost counted for this opening

	result chan dialResult
}

// Dial opens a session to the server of an rtmfp:// URL, as Flash's
// NetConnection.connect does: the URL travels as the IHello's EPD. The
// port defaults to 1935.
func (e *Endpoint) Dial(ctx context.Context, rawURL string) (*Session, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "rtmfp" || u.Hostname() == "" {
		return nil, fmt.Errorf("rtmfp: dial %q: %w", rawURL, ErrBadURL)
	}
	port := defaultPort
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port <= 0 || port > 65535 {
			return nil, fmt.Errorf("rtmfp: dial %q: port: %w", rawURL, ErrBadURL)
		}
	}
	ips, err := net.DefaultResolver.LookupNetIP(ctx, e.ipNetwork(), u.Hostname())
	if err != nil {
		return nil, fmt.Errorf("rtmfp: dial %q: %w", rawURL, err)
	}
	var targets []netip.AddrPort
	for _, ip := range ips {
		if len(targets) < maxTargets {
			targets = append(targets, netip.AddrPortFrom(ip.Unmap(), uint16(port)))
		}
	}
	if len(targets) == 0 {
		return nil, fmt.Errorf("rtmfp: dial %q: %w", rawURL, ErrNoAddress)
	}
	epd := wire.EPD{AncillaryData: []byte(rawURL)}.Append(nil)
	return e.dial(ctx, epd, nil, targets)
}

// ipNetwork is the address family the socket can reach.
func (e *Endpoint) ipNetwork() string {
	if ua, ok := e.conn.localAddr().(*net.UDPAddr); ok && ua.IP.To4() != nil && !ua.IP.Equal(net.IPv6unspecified) {
		return "ip4"
	}
	return "ip"
}

// DialPeer opens a P2P session to the peer with the given peer ID through
// the server of via: the IHello names the peer, the server redirects us
// to the peer's addresses and forwards our IHello to the peer, and the
// handshake completes with whichever address answers. It returns the
// session with that peer, in whichever role: a session that already
// exists (the peer opened one to us, or an earlier DialPeer did), or,
// when both peers dial each other at once (glare), the one session the
// glare rule keeps — Initiator() tells which side opened it.
func (e *Endpoint) DialPeer(ctx context.Context, via *Session, peer [32]byte) (*Session, error) {
	if via == nil || via.isGone() {
		return nil, ErrSessionClosed
	}
	if s := e.peerSessionWith(peer); s != nil {
		// Already in session with the peer, in either role.
		return s, nil
	}
	epd := wire.AppendCanonicalEPD(nil, peer)
	return e.dial(ctx, epd, &peer, []netip.AddrPort{via.RemoteAddr()})
}

func (e *Endpoint) dial(ctx context.Context, epd []byte, peer *[32]byte, targets []netip.AddrPort) (*Session, error) {
	if e.closing.Load() {
		return nil, ErrEndpointClosed
	}
	if !e.reserveSession() {
		return nil, ErrTooManySessions
	}
	o := &opening{ep: e, epd: epd, targets: targets, result: make(chan dialResult, 1)}
	if peer != nil {
		o.peer, o.isPeer = *peer, true
	}
	o.timer = timerEntry{index: -1, owner: o}
	if _, err := io.ReadFull(e.random, o.tag[:]); err != nil {
		e.unreserveSession()
		return nil, err
	}
	l := e.pickLoop()
	o.loop = l
	deadline, hasDeadline := ctx.Deadline()
	if !l.post(func() { o.start(l.now, deadline, hasDeadline) }) {
		e.unreserveSession()
		return nil, ErrEndpointClosed
	}
	select {
	case r := <-o.result:
		return r.s, r.err
	case <-ctx.Done():
		l.post(func() { o.fail(ctx.Err()) })
	case <-e.closedCh:
	}
	// The loop answers the cancellation, or already produced a result,
	// or is stopping (which fails every opening).
	select {
	case r := <-o.result:
		if r.s != nil && !r.existing && ctx.Err() != nil {
			r.s.Close()
			return nil, ctx.Err()
		}
		return r.s, r.err
	case <-time.After(closeWait + time.Second):
		return nil, ErrEndpointClosed
	}
}

func (o *opening) start(now time.Time, deadline time.Time, hasDeadline bool) {
	e, l := o.ep, o.loop
	o.sid = l.allocSID()
	l.openings[o.sid] = o
	e.tagsMu.Lock()
	e.tags[o.tag] = o
	if o.isPeer {
		e.peerOpenings[o.peer] = append(e.peerOpenings[o.peer], o)
	}
	e.tagsMu.Unlock()
	o.deadline = now.Add(openingTimeout)
	if hasDeadline && deadline.Before(o.deadline) {
		o.deadline = deadline
	}
	o.interval = helloFirstRetry
	o.sendHellos(now, o.targets)
	o.nextSend = now.Add(o.interval)
	o.reschedule()
}

func (o *opening) reschedule() {
	at := o.nextSend
	if o.deadline.Before(at) {
		at = o.deadline
	}
	o.loop.schedule(&o.timer, at)
}

// onTimer implements timerOwner: retransmit or give up.
func (o *opening) onTimer(now time.Time) {
	if o.stage == stageDone {
		return
	}
	if !now.Before(o.deadline) {
		o.ep.stats.handshakeTimeouts.Add(1)
		o.fail(ErrHandshakeTimeout)
		return
	}
	if !now.Before(o.nextSend) {
		if s := o.existingSession(o.responder); s != nil {
			o.adopt(s)
			return
		}
		switch o.stage {
		case stageHello:
			o.sendHellos(now, o.targets)
		case stageKeying:
			o.sendKeying(now)
		}
		o.interval += helloRetryStep
		o.nextSend = now.Add(o.interval)
	}
	o.reschedule()
}

// sendHellos sends our IHello to each address.
func (o *opening) sendHellos(now time.Time, to []netip.AddrPort) {
	l := o.loop
	body := o.ep.startupBody(l.body[:0], now)
	body = wire.IHello{EPD: o.epd, Tag: o.tag[:]}.Append(body)
	for _, a := range to {
		p := l.startupKey.Seal(l.arenaFor(), 0, body)
		l.send(l.commit(p), a)
	}
}

func (o *opening) sendKeying(now time.Time) {
	l := o.loop
	body := o.ep.startupBody(l.body[:0], now)
	body = append(body, o.iikBody...)
	p := l.startupKey.Seal(l.arenaFor(), 0, body)
	l.send(l.commit(p), o.responder)
}

// fail ends the opening with err.
func (o *opening) fail(err error) {
	if o.stage == stageDone {
		return
	}
	o.finish()
	o.ep.unreserveSession()
	o.result <- dialResult{err: err}
}

// finish unregisters the opening.
func (o *opening) finish() {
	o.stage = stageDone
	l := o.loop
	l.unschedule(&o.timer)
	if l.openings[o.sid] == o {
		delete(l.openings, o.sid)
	}
	e := o.ep
	e.tagsMu.Lock()
	if e.tags[o.tag] == o {
		delete(e.tags, o.tag)
	}
	if o.isPeer {
		list := e.peerOpenings[o.peer]
		for i, x := range list {
			if x == o {
				list = append(list[:i:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(e.peerOpenings, o.peer)
		} else {
			e.peerOpenings[o.peer] = list
		}
	}
	e.tagsMu.Unlock()
}

// adopt ends a peer opening with a session that already exists with the
// peer: a responder session (the peer's own opening won the glare, or its
// keying came first) or an earlier one. Callers want a session with that
// peer, not a role. The opening's reservation is released here, once:
// the session holds its own.
func (o *opening) adopt(s *Session) {
	if o.stage == stageDone {
		return
	}
	o.finish()
	o.ep.unreserveSession()
	if o.ep.debugOn() {
		o.ep.log.Debug("rtmfp: peer opening ends with an existing session", slog.Uint64("sid", uint64(s.id)), slog.Bool("initiator", s.initiator))
	}
	o.result <- dialResult{s: s, existing: true}
}

// existingSession is a live session with the opening's peer, if any
// (peer openings only): the recorded one, or one at addr.
func (o *opening) existingSession(addr netip.AddrPort) *Session {
	if !o.isPeer {
		return nil
	}
	if s := o.ep.peerSessionWith(o.peer); s != nil {
		return s
	}
	if !addr.IsValid() {
		return nil
	}
	if s := o.ep.addrs.find(addr, o.peer); s != nil && s.live() {
		return s
	}
	return nil
}

// onGlare decides an IIKeying from the peer this opening is dialing
// (loop of o; the reader has validated the keying and holds its DH slot
// and session reservation). Our IIKeying may have crossed theirs: only
// one handshake may complete. Before our own IIKeying has left (stage
// hello) we yield: the far end cannot see a glare from us then, so it
// will not yield too, and a far end that does not answer our IHellos
// (no AcceptPeers) still gets its session. Once both keyings are out,
// the certificates decide (nearWinsGlare), the same way on both sides.
func (o *opening) onGlare(j *keyingJob) {
	e := o.ep
	switch {
	case o.stage == stageDone:
		// Ended meanwhile: process the keying as usual
		// (completeResponder protects a session we just opened).
		go e.keyingWork(j)
	case o.stage == stageKeying && nearWinsGlare(e.id.staticCert, j.farCert):
		if !o.glareCounted {
			o.glareCounted = true
			e.stats.glareWon.Add(1)
		}
		if e.debugOn() {
			e.log.Debug("rtmfp: glare won, peer keying ignored", slog.String("from", j.from.String()))
		}
		e.dropKeying(j)
	default:
		if !o.glareCounted {
			o.glareCounted = true
			e.stats.glareLost.Add(1)
		}
		if o.stage != stageYielded {
			if e.debugOn() {
				e.log.Debug("rtmfp: glare lost, answering the peer's keying", slog.String("from", j.from.String()))
			}
			// Stop retransmitting; keep the deadline and the peer index
			// entry, so that the responder session finds this opening
			// (and a retransmitted keying comes here again if its DH
			// was dropped).
			o.stage = stageYielded
			o.nextSend = o.deadline
			o.reschedule()
		}
		go e.keyingWork(j)
	}
}

// nearWinsGlare reports whether our handshake wins a glare against the
// far end's (RFC 7016 §3.5.1.3 and the Flash profile, RFC 7425 §4.3.6):
// the side whose certificate, as sent in its IIKeying, compares lower
// byte-wise wins; the higher yields. This is rtmfp-cpp's
// FlashCryptoAdapter::checkNearWinsGlare (near wins unless far < near),
// so that a glare with Flash or rtmfp-cpp peers resolves the same way on
// both sides. Equal certificates (one identity on both ends) count as a
// win: nothing sensible can be done.
func nearWinsGlare(near, far []byte) bool { return bytes.Compare(near, far) <= 0 }

// peerOpeningsTo lists the unfinished peer openings to peer (any
// goroutine).
func (e *Endpoint) peerOpeningsTo(peer [32]byte) []*opening {
	e.tagsMu.Lock()
	defer e.tagsMu.Unlock()
	return append([]*opening(nil), e.peerOpenings[peer]...)
}

// peerOpeningTo is one unfinished peer opening to peer, or nil (any
// goroutine).
func (e *Endpoint) peerOpeningTo(peer [32]byte) *opening {
	e.tagsMu.Lock()
	defer e.tagsMu.Unlock()
	if list := e.peerOpenings[peer]; len(list) > 0 {
		return list[0]
	}
	return nil
}

// notePeerSession records s as the session with its far peer (loop of
// s): DialPeer returns it instead of opening another one, and a peer's
// late IIKeying does not replace it while it is fresh. Only P2P sessions
// are recorded (peer openings, and sessions accepted by a client
// endpoint), one per peer; sessionClosed removes them, so the table is
// bounded by the live sessions.
func (e *Endpoint) notePeerSession(s *Session, now time.Time) {
	e.tagsMu.Lock()
	e.peerSessions[s.farPeerID] = peerSession{s: s, at: now}
	e.peerSessionsN.Store(int64(len(e.peerSessions)))
	e.tagsMu.Unlock()
}

// forgetPeerSession drops a terminated session from the table (loop of s).
func (e *Endpoint) forgetPeerSession(s *Session) {
	if e.peerSessionsN.Load() == 0 {
		return
	}
	e.tagsMu.Lock()
	if e.peerSessions[s.farPeerID].s == s {
		delete(e.peerSessions, s.farPeerID)
		e.peerSessionsN.Store(int64(len(e.peerSessions)))
	}
	e.tagsMu.Unlock()
}

// peerSessionWith is the live recorded session with peer, or nil (any
// goroutine). A session being closed is not live: a caller that closes its
// P2P session and dials again wants a new one.
func (e *Endpoint) peerSessionWith(peer [32]byte) *Session {
	e.tagsMu.Lock()
	ps := e.peerSessions[peer]
	e.tagsMu.Unlock()
	if ps.s == nil || !ps.s.live() {
		return nil
	}
	return ps.s
}

// freshInitiated reports whether we opened a live session with peer at
// addr less than glareGrace ago (any goroutine).
func (e *Endpoint) freshInitiated(addr netip.AddrPort, peer [32]byte, now time.Time) bool {
	e.tagsMu.Lock()
	ps := e.peerSessions[peer]
	e.tagsMu.Unlock()
	return ps.s != nil && ps.s.initiator && now.Sub(ps.at) < glareGrace && ps.s.live() && ps.s.RemoteAddr() == addr
}

type peerSession struct {
	s  *Session
	at time.Time // when it was established
}

// openingByTag finds the opening an RHello or Redirect answers.
func (e *Endpoint) openingByTag(tag []byte) *opening {
	if len(tag) != 16 {
		return nil
	}
	e.tagsMu.Lock()
	defer e.tagsMu.Unlock()
	return e.tags[[16]byte(tag)]
}

// onRHello (reader) passes an RHello to its opening's loop.
func (e *Endpoint) onRHello(now time.Time, from netip.AddrPort, rh wire.RHello) {
	o := e.openingByTag(rh.TagEcho)
	if o == nil {
		e.stats.droppedUnexpected.Add(1)
		return
	}
	cookie, cert := bytes.Clone(rh.Cookie), bytes.Clone(rh.Certificate)
	o.loop.post(func() { o.onRHello(o.loop.now, from, cookie, cert) })
}

// onRedirect (reader) passes a Redirect to its opening's loop.
func (e *Endpoint) onRedirect(now time.Time, from netip.AddrPort, rd wire.Redirect) {
	o := e.openingByTag(rd.TagEcho)
	if o == nil {
		e.stats.droppedUnexpected.Add(1)
		return
	}
	addrs := make([]netip.AddrPort, 0, len(rd.Addresses))
	for _, a := range rd.Addresses {
		ap := normalizeAddr(a.AddrPort)
		if ap.IsValid() && ap.Port() != 0 && !ap.Addr().IsUnspecified() {
			addrs = append(addrs, ap)
		}
	}
	o.loop.post(func() { o.onRedirect(o.loop.now, from, addrs) })
}

func (o *opening) onRedirect(now time.Time, from netip.AddrPort, addrs []netip.AddrPort) {
	if o.stage != stageHello {
		return
	}
	known := false
	for _, t := range o.targets {
		known = known || t == from
	}
	if !known {
		return // only the servers we asked may redirect us
	}
	var fresh []netip.AddrPort
	for _, a := range addrs {
		dup := false
		for _, t := range o.targets {
			dup = dup || t == a
		}
		if !dup && len(o.targets) < maxTargets {
			o.targets = append(o.targets, a)
			fresh = append(fresh, a)
		}
	}
	o.sendHellos(now, fresh)
}

// onRHello checks the responder's certificate and sends IIKeying.
func (o *opening) onRHello(now time.Time, from netip.AddrPort, cookie, certBytes []byte) {
	if o.stage != stageHello {
		return
	}
	e := o.ep
	cert, err := wire.ParseCertificate(certBytes)
	if err != nil {
		e.stats.keyingsRejected.Add(1)
		return
	}
	fp := peerIDOf(cert)
	if o.isPeer {
		key, ok := cert.StaticKey(e.id.group)
		if fp != o.peer || !ok {
			e.stats.keyingsRejected.Add(1)
			return
		}
		secret, err := e.id.static.SharedSecret(key)
		if err != nil {
			e.stats.keyingsRejected.Add(1)
			return
		}
		o.secret = secret
		o.staticKey = bytes.Clone(key)
	} else if cert.IsStatic() || !cert.AcceptsAncillaryData || !cert.SupportsGroup(e.id.group) {
		e.stats.keyingsRejected.Add(1)
		return
	}
	o.farPeerID = fp
	if s := o.existingSession(from); s != nil {
		// Already in session with the peer (it opened one to us, or an
		// earlier dial did): a second session would only replace it.
		o.adopt(s)
		return
	}
	skic, err := e.id.initiatorSKIC(e.random)
	if err != nil {
		return
	}
	o.skic = skic
	o.cookie = cookie
	o.responder = from
	o.buildKeying()
	o.stage = stageKeying
	o.interval = helloFirstRetry
	o.sendKeying(now)
	o.nextSend = now.Add(o.interval)
	o.reschedule()
}

func (o *opening) buildKeying() {
	ik := wire.IIKeying{
		InitiatorSID: o.sid,
		Cookie:       o.cookie,
		Certificate:  o.ep.id.staticCert,
		SKIC:         o.skic,
		Signature:    []byte{'X'},
	}
	o.iikBody = ik.Append(o.iikBody[:0])
}

// onPacket handles startup packets sent to our session ID: RIKeying and
// Cookie Change, under the default key.
func (o *opening) onPacket(now time.Time, from netip.AddrPort, pkt []byte) {
	e, l := o.ep, o.loop
	if o.stage != stageKeying {
		e.stats.droppedUnexpected.Add(1)
		return
	}
	c, ok := e.startupChunk(l.startupKey, pkt)
	if !ok {
		return
	}
	switch c.Type {
	case wire.ChunkRIKeying:
		if from != o.responder {
			e.stats.droppedUnexpected.Add(1)
			return
		}
		rik, _, err := wire.ParseRIKeying(c.Value)
		if err != nil || rik.ResponderSID == 0 {
			e.stats.droppedMalformed.Add(1)
			return
		}
		o.onRIKeying(now, from, rik)
	case wire.ChunkCookieChange:
		cc, _, err := wire.ParseCookieChange(c.Value)
		if err != nil || o.cookieChg || !bytes.Equal(cc.OldCookie, o.cookie) || len(cc.NewCookie) == 0 {
			e.stats.droppedUnexpected.Add(1)
			return
		}
		o.cookieChg = true
		o.cookie = bytes.Clone(cc.NewCookie)
		o.buildKeying()
		o.sendKeying(now)
	default:
		e.stats.droppedUnexpected.Add(1)
	}
}

// onRIKeying completes the handshake.
func (o *opening) onRIKeying(now time.Time, from netip.AddrPort, rik wire.RIKeying) {
	e, l := o.ep, o.loop
	skrc, err := wire.ParseKeyComponent(rik.SKRC)
	if err != nil {
		e.stats.keyingsRejected.Add(1)
		return
	}
	mode, err := crypto.NegotiateMode(e.id.policy, skrc)
	if err != nil {
		e.stats.keyingsRejected.Add(1)
		o.fail(fmt.Errorf("rtmfp: keying: %w", err))
		return
	}
	secret := o.secret
	if secret == nil {
		pub, ok := skrc.EphemeralKey(e.id.group)
		if !ok {
			e.stats.keyingsRejected.Add(1)
			return
		}
		if secret, err = e.id.static.SharedSecret(pub); err != nil {
			e.stats.keyingsRejected.Add(1)
			return
		}
	}
	keys := crypto.DeriveSessionKeys(secret, o.skic, rik.SKRC)
	cipher, err := crypto.NewSessionCipher(&keys, mode)
	if err != nil {
		e.stats.keyingsRejected.Add(1)
		return
	}
	o.finish()
	s := newSession(e, l, true, rik.ResponderSID, from, cipher, o.farPeerID, now)
	s.id = o.sid
	e.sessionOpened(s)
	if o.isPeer {
		e.notePeerSession(s, now)
	}
	if e.debugOn() {
		e.log.Debug("rtmfp: session opened", slog.Uint64("sid", uint64(s.id)), slog.String("to", from.String()))
	}
	s.handler = e.cfg.Handler.NewSession(s)
	s.reschedule()
	l.markDirty(s)
	o.result <- dialResult{s: s}
}
