package rtmfp

import (
	"bytes"
	"hash/maphash"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"nimbus/rtmfp/crypto"
	"nimbus/rtmfp/wire"
)

// keyingCacheSize bounds the RIKeying answers kept for retransmitted
// IIKeyings.
const keyingCacheSize = 4096

// keyingKey identifies an IIKeying: a retransmission has the same source
// address, initiator session ID and key component.
type keyingKey struct {
	addr netip.AddrPort
	sid  uint32
	skic uint64 // keyed hash of the SKIC
}

type keyingEntry struct {
	at  time.Time
	pkt []byte // the RIKeying datagram; nil while the DH runs
}

// keyingCache remembers recent responder keyings so that a retransmitted
// IIKeying gets the very same RIKeying bytes, without new DH work and
// without a second session. Bounded: the oldest entries go first.
type keyingCache struct {
	mu    sync.Mutex
	seed  maphash.Seed
	ttl   time.Duration
	max   int
	m     map[keyingKey]*keyingEntry
	order []keyingKey // FIFO, may hold keys already removed
}

func newKeyingCache(max int, ttl time.Duration) *keyingCache {
	return &keyingCache{seed: maphash.MakeSeed(), ttl: ttl, max: max, m: make(map[keyingKey]*keyingEntry)}
}

func (c *keyingCache) key(addr netip.AddrPort, sid uint32, skic []byte) keyingKey {
	return keyingKey{addr: addr, sid: sid, skic: maphash.Bytes(c.seed, skic)}
}

// lookup returns the cached answer, whether the keying is known at all
// (pending or done).
func (c *keyingCache) lookup(k keyingKey, now time.Time) (pkt []byte, known bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[k]
	if e == nil {
		return nil, false
	}
	if now.Sub(e.at) > c.ttl {
		delete(c.m, k)
		return nil, false
	}
	return e.pkt, true
}

// begin records a keying whose DH is starting; false if the cache is full
// of keyings still in progress.
func (c *keyingCache) begin(k keyingKey, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.m) >= c.max && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		if e := c.m[old]; e != nil && (e.pkt != nil || now.Sub(e.at) > c.ttl) {
			delete(c.m, old)
		} else if e != nil {
			// In progress: keep it, look further.
			c.order = append(c.order, old)
			if len(c.order) >= 2*c.max {
				return false
			}
		}
	}
	if len(c.m) >= c.max {
		return false
	}
	c.m[k] = &keyingEntry{at: now}
	c.order = append(c.order, k)
	if len(c.order) > 4*c.max {
		c.compact()
	}
	return true
}

// compact drops order entries whose key is gone.
func (c *keyingCache) compact() {
	keep := c.order[:0]
	for _, k := range c.order {
		if _, ok := c.m[k]; ok {
			keep = append(keep, k)
		}
	}
	c.order = keep
}

func (c *keyingCache) complete(k keyingKey, pkt []byte) {
	c.mu.Lock()
	if e := c.m[k]; e != nil {
		e.pkt = pkt
	}
	c.mu.Unlock()
}

func (c *keyingCache) forget(k keyingKey) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}

// keyingJob is what a DH worker needs, copied out of the packet.
type keyingJob struct {
	key       keyingKey
	from      netip.AddrPort
	farSID    uint32
	group     *crypto.Group
	farPublic []byte
	skic      []byte
	mode      crypto.Mode
	farPeerID [32]byte
	farCert   []byte // set when a glare must be decided
}

// onIIKeying validates an IIKeying on the reader goroutine: cookie, cache,
// certificate, key component and group, then hands the DH to a worker if
// one is free. This is the first point where the endpoint does work for a
// client.
func (e *Endpoint) onIIKeying(now time.Time, from netip.AddrPort, ik wire.IIKeying) {
	if !e.cfg.Server && !e.cfg.AcceptPeers {
		e.stats.droppedUnexpected.Add(1)
		return
	}
	if ik.InitiatorSID == 0 {
		e.stats.droppedMalformed.Add(1)
		return
	}
	switch e.cookies.Check(ik.Cookie, now, from) {
	case crypto.CookieBad:
		e.stats.cookiesInvalid.Add(1)
		if e.debugOn() {
			e.log.Debug("rtmfp: keying with a bad cookie", slog.String("from", from.String()))
		}
		return
	case crypto.CookieOtherAddress:
		e.sendCookieChange(now, from, ik)
		return
	}
	k := e.keyings.key(from, ik.InitiatorSID, ik.SKIC)
	if pkt, known := e.keyings.lookup(k, now); known {
		if pkt == nil {
			e.stats.keyingsInProgress.Add(1)
			return
		}
		e.stats.keyingsRetransmit.Add(1)
		e.writeDatagram(pkt, from)
		return
	}
	cert, err := wire.ParseCertificate(ik.Certificate)
	if err != nil {
		e.stats.keyingsRejected.Add(1)
		return
	}
	skic, err := wire.ParseKeyComponent(ik.SKIC)
	if err != nil {
		e.stats.keyingsRejected.Add(1)
		return
	}
	var gid uint64
	var public []byte
	if cert.IsStatic() {
		if !skic.HasGroupSelect {
			e.stats.keyingsRejected.Add(1)
			return
		}
		gid = skic.GroupSelect
		var ok bool
		if public, ok = cert.StaticKey(gid); !ok {
			e.stats.keyingsRejected.Add(1)
			return
		}
	} else {
		var ok bool
		if gid, public, ok = skic.FirstEphemeralKey(); !ok {
			e.stats.keyingsRejected.Add(1)
			return
		}
	}
	group, ok := crypto.GroupByID(gid)
	if !ok || !e.cfg.acceptsGroup(gid) || (!e.cfg.Server && gid != e.id.group) {
		e.stats.keyingsRejected.Add(1)
		if e.debugOn() {
			e.log.Debug("rtmfp: keying for an unsupported group", slog.String("from", from.String()), slog.Uint64("group", gid))
		}
		return
	}
	mode, err := crypto.NegotiateMode(e.id.policy, skic)
	if err != nil {
		e.stats.keyingsRejected.Add(1)
		if e.debugOn() {
			e.log.Debug("rtmfp: keying negotiation", slog.String("from", from.String()), slog.Any("err", err))
		}
		return
	}
	farPeerID := peerIDOf(cert)
	if cert.IsStatic() && e.freshInitiated(from, farPeerID, now) {
		// The late keying of a glare this peer lost: our session with it
		// is moments old and stays.
		e.stats.glareLate.Add(1)
		return
	}
	if e.closing.Load() || !e.reserveSession() {
		return
	}
	select {
	case e.dhSem <- struct{}{}:
	default:
		e.unreserveSession()
		e.stats.dhDropped.Add(1)
		if e.debugOn() {
			e.log.Debug("rtmfp: keying dropped, DH workers busy", slog.String("from", from.String()))
		}
		return
	}
	if !e.keyings.begin(k, now) {
		<-e.dhSem
		e.unreserveSession()
		e.stats.dhDropped.Add(1)
		return
	}
	job := &keyingJob{
		key:       k,
		from:      from,
		farSID:    ik.InitiatorSID,
		group:     group,
		farPublic: bytes.Clone(public),
		skic:      bytes.Clone(ik.SKIC),
		mode:      mode,
		farPeerID: farPeerID,
	}
	if o := e.peerOpeningTo(farPeerID); o != nil {
		// We are dialing this peer too: its loop decides (onGlare).
		job.farCert = bytes.Clone(ik.Certificate)
		if !o.loop.post(func() { o.onGlare(job) }) {
			e.dropKeying(job)
		}
		return
	}
	go e.keyingWork(job)
}

// dropKeying gives back what onIIKeying took for a keying that will not be
// answered.
func (e *Endpoint) dropKeying(j *keyingJob) {
	<-e.dhSem
	e.keyings.forget(j.key)
	e.unreserveSession()
}

// sendCookieChange answers an IIKeying whose cookie is ours but was minted
// for another address.
func (e *Endpoint) sendCookieChange(now time.Time, from netip.AddrPort, ik wire.IIKeying) {
	fresh := e.cookies.Mint(now, from)
	var buf [256]byte
	body := e.startupBody(buf[:0], now)
	body = wire.CookieChange{OldCookie: ik.Cookie, NewCookie: fresh[:]}.Append(body)
	e.stats.cookieChanges.Add(1)
	e.writeStartup(from, ik.InitiatorSID, body)
}

// ephemeralKey returns the key pair for a server handshake: a fresh one,
// or a recent one within Config.KeypairReuse.
func (e *Endpoint) ephemeralKey(g *crypto.Group) (*crypto.PrivateKey, error) {
	if h := e.cfg.testHooks; h != nil && h.ephemeralExponent != nil {
		return crypto.NewPrivateKey(g, h.ephemeralExponent)
	}
	return e.ephemeral.Get(g, time.Now())
}

// keyingWork runs on a DH worker: it computes the shared secret and the
// session keys, then passes the session to a loop.
func (e *Endpoint) keyingWork(j *keyingJob) {
	ok := false
	defer func() {
		<-e.dhSem
		if !ok {
			e.keyings.forget(j.key)
			e.unreserveSession()
		}
	}()
	var key *crypto.PrivateKey
	var err error
	if e.cfg.Server {
		key, err = e.ephemeralKey(j.group)
	} else {
		key = e.id.static
	}
	if err != nil {
		e.log.Warn("rtmfp: ephemeral key", slog.Any("err", err))
		return
	}
	secret, err := key.SharedSecret(j.farPublic)
	if err != nil {
		e.stats.keyingsRejected.Add(1)
		return
	}
	e.stats.dhComputed.Add(1)
	hf, hl, sf := answerFlags(j.mode)
	var skrc []byte
	if e.cfg.Server {
		skrc = wire.AppendServerSKRC(nil, hf, hl, sf, j.group.ID, key.Public)
	} else {
		// A static responder (Flash P2P): negotiation answers and extra
		// randomness; the DH used the static keys of both certificates.
		var rnd [64]byte
		if _, err := io.ReadFull(e.random, rnd[:]); err != nil {
			return
		}
		skrc = wire.AppendHMACNegotiationOption(nil, hf, hl)
		skrc = wire.AppendSSeqNegotiationOption(skrc, sf)
		skrc = wire.AppendExtraRandomnessOption(skrc, rnd[:])
	}
	keys := crypto.DeriveSessionKeys(secret, skrc, j.skic)
	cipher, err := crypto.NewSessionCipher(&keys, j.mode)
	if err != nil {
		e.stats.keyingsRejected.Add(1)
		return
	}
	l := e.pickLoop()
	ok = l.post(func() { e.completeResponder(l, j, cipher, skrc) })
}

// completeResponder registers the session on its loop, sends RIKeying and
// tells the handler.
func (e *Endpoint) completeResponder(l *loop, j *keyingJob, cipher *crypto.SessionCipher, skrc []byte) {
	now := l.now
	if l.stopping || e.closing.Load() {
		e.keyings.forget(j.key)
		e.unreserveSession()
		return
	}
	if e.freshInitiated(j.from, j.farPeerID, now) {
		// Our own opening to this peer completed while the DH ran: keep
		// that session (see onIIKeying).
		e.stats.glareLate.Add(1)
		e.keyings.forget(j.key)
		e.unreserveSession()
		return
	}
	s := newSession(e, l, false, j.farSID, j.from, cipher, j.farPeerID, now)
	s.id = l.allocSID()
	body := e.startupBody(l.body[:0], now)
	body = wire.RIKeying{ResponderSID: s.id, SKRC: skrc, Signature: []byte{'X'}}.Append(body)
	pkt := l.startupKey.Seal(make([]byte, 0, sealedLen(body)), j.farSID, body)
	e.keyings.complete(j.key, pkt)

	// A new keying with the same certificate from the same address
	// replaces the old session (RFC 7016 §3.5.1.3): the far end
	// restarted. A session we initiated to this peer less than
	// glareGrace ago is never replaced (checked above): there the keying
	// is a glare loser's late one.
	if old := e.addrs.find(j.from, j.farPeerID); old != nil {
		e.stats.sessionsReplaced.Add(1)
		if old.loop == l {
			old.abort(ErrReplaced)
		} else {
			old.loop.post(func() { old.abort(ErrReplaced) })
		}
	}
	e.sessionOpened(s)
	if !e.cfg.Server {
		e.notePeerSession(s, now)
	}
	l.send(pkt, j.from)
	if e.debugOn() {
		e.log.Debug("rtmfp: session accepted", slog.Uint64("sid", uint64(s.id)), slog.String("from", j.from.String()))
	}
	s.handler = e.cfg.Handler.NewSession(s)
	s.reschedule()
	// Our own dials to this peer (glare losers, or openings that had not
	// sent their keying yet) end with this session.
	for _, o := range e.peerOpeningsTo(j.farPeerID) {
		o.loop.post(func() { o.adopt(s) })
	}
}
