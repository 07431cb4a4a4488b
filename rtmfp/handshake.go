package rtmfp

import (
	"bytes"
	"log/slog"
	"net/netip"
	"time"

	"nimbus/rtmfp/crypto"
	"nimbus/rtmfp/wire"
)

// Amplification bound: an answer to a packet from an unverified address is
// one datagram of at most 3.5 times the request, both counted as they
// travel on the link, IP and UDP headers included. With
// UDP payloads only, the 180-byte RHello that every Flash server sends
// could not answer Flash's own 52-byte IHello for a short URL such as
// rtmfp://cc.rtmfp.net; with headers (28 bytes for IPv4, 48 for IPv6) it
// can. librtmfp (FFmpeg's RTMFP) puts only the path of the URL in its EPD,
// so rtmfp://host/live/stream makes a 36-byte IHello: 3.5 (rather than 3)
// answers the smallest IHello with a 16-byte tag (36 bytes) over IPv4,
// while tiny IHellos without a real tag (20 bytes) still get nothing.
const (
	amplificationNum = 7
	amplificationDen = 2
)

func ipOverhead(a netip.AddrPort) int {
	if a.Addr().Is4() {
		return 28
	}
	return 48
}

// withinAmplification reports whether an answer of answerLen bytes to a
// request of requestLen bytes from addr respects the bound.
func withinAmplification(addr netip.AddrPort, requestLen, answerLen int) bool {
	o := ipOverhead(addr)
	return amplificationDen*(answerLen+o) <= amplificationNum*(requestLen+o)
}

// startupBody starts a MOD 3 body with a timestamp.
func (e *Endpoint) startupBody(dst []byte, now time.Time) []byte {
	return wire.NewHeader(wire.ModeStartup, e.timestamp(now), 0, false).Append(dst)
}

// sealedLen is the datagram size of a startup packet with this body.
func sealedLen(body []byte) int { return 4 + crypto.PaddedLen(2+len(body)) }

// startupChunk opens a startup packet (default key) and returns its first
// chunk, counting why when there is none. One handshake chunk per packet:
// whatever follows the first is ignored, so a packet never triggers more
// than one answer.
func (e *Endpoint) startupChunk(key *crypto.PacketKey, pkt []byte) (wire.Chunk, bool) {
	if (len(pkt)-4)%16 != 0 {
		e.stats.droppedMalformed.Add(1)
		return wire.Chunk{}, false
	}
	body, err := key.Open(pkt)
	if err != nil {
		e.stats.droppedMalformed.Add(1)
		return wire.Chunk{}, false
	}
	h, hn, err := wire.ParseHeader(body)
	if err != nil || h.Mode() != wire.ModeStartup {
		e.stats.droppedBadMode.Add(1)
		return wire.Chunk{}, false
	}
	r := wire.NewChunkReader(body[hn:])
	c, ok := r.Next()
	if !ok {
		e.stats.droppedMalformed.Add(1)
	}
	return c, ok
}

// onStartupPacket handles a datagram with SSID 0 on the reader goroutine:
// IHello and IIKeying as responder, RHello and Redirect as initiator.
func (e *Endpoint) onStartupPacket(now time.Time, from netip.AddrPort, pkt []byte) {
	size := len(pkt)
	c, ok := e.startupChunk(e.readerKey, pkt)
	if !ok {
		return
	}
	switch c.Type {
	case wire.ChunkIHello:
		ih, _, err := wire.ParseIHello(c.Value)
		if err != nil {
			e.stats.droppedMalformed.Add(1)
			return
		}
		e.onIHello(now, from, size, ih)
	case wire.ChunkIIKeying:
		ik, _, err := wire.ParseIIKeying(c.Value)
		if err != nil {
			e.stats.droppedMalformed.Add(1)
			return
		}
		e.onIIKeying(now, from, ik)
	case wire.ChunkRHello:
		rh, _, err := wire.ParseRHello(c.Value)
		if err != nil {
			e.stats.droppedMalformed.Add(1)
			return
		}
		e.onRHello(now, from, rh)
	case wire.ChunkRedirect:
		rd, _, err := wire.ParseRedirect(c.Value)
		if err != nil {
			e.stats.droppedMalformed.Add(1)
			return
		}
		e.onRedirect(now, from, rd)
	default:
		e.stats.droppedUnexpected.Add(1)
	}
}

// onIHello answers an IHello: RHello for a URL (servers) or for our own
// peer ID (servers, and peers that accept P2P), a rendezvous request for
// another peer ID coming from a connected peer, nothing otherwise. No
// state is kept and no DH work is done.
func (e *Endpoint) onIHello(now time.Time, from netip.AddrPort, size int, ih wire.IHello) {
	if !e.hellos.allow(from.Addr(), now) {
		e.stats.hellosRateLimited.Add(1)
		if e.debugOn() {
			e.log.Debug("rtmfp: IHello over the rate limit", slog.String("from", from.String()))
		}
		return
	}
	epd, err := wire.ParseEPD(ih.EPD)
	if err != nil || epd.IsZero() {
		e.stats.droppedMalformed.Add(1)
		return
	}
	if epd.Fingerprint != nil {
		if len(epd.Fingerprint) != wire.FingerprintLen {
			e.stats.hellosNotForUs.Add(1)
			return
		}
		target := [32]byte(epd.Fingerprint)
		switch {
		case target == e.id.peerID && (e.cfg.Server || e.cfg.AcceptPeers):
			e.sendRHello(now, from, size, ih.Tag)
		case e.cfg.Server && target != e.id.peerID:
			if !e.addrs.has(from) {
				e.stats.rendezvousRefused.Add(1)
				if e.debugOn() {
					e.log.Debug("rtmfp: rendezvous from an address without session", slog.String("from", from.String()))
				}
				return
			}
			e.stats.rendezvousForwarded.Add(1)
			e.cfg.Handler.Rendezvous(RendezvousRequest{
				From:    from,
				Target:  target,
				EPD:     bytes.Clone(ih.EPD),
				Tag:     bytes.Clone(ih.Tag),
				Attempt: e.attempts.next(ih.Tag),
			})
		default:
			e.stats.hellosNotForUs.Add(1)
		}
		return
	}
	if epd.AncillaryData == nil || !e.cfg.Server {
		e.stats.hellosNotForUs.Add(1)
		return
	}
	req := HelloRequest{From: from, URL: string(epd.AncillaryData), EPD: bytes.Clone(ih.EPD), Tag: bytes.Clone(ih.Tag), Attempt: e.attempts.next(ih.Tag), size: size}
	if e.cfg.Handler.Hello(req) {
		e.stats.hellosDeferred.Add(1)
		return
	}
	e.sendRHello(now, from, size, ih.Tag)
}

// sendRHello answers with our responder certificate and a fresh cookie, if
// the answer respects the amplification bound.
func (e *Endpoint) sendRHello(now time.Time, to netip.AddrPort, requestSize int, tag []byte) {
	var buf [maxDatagram]byte
	body := e.rhelloBody(buf[:0], now, to, tag)
	if requestSize > 0 && !withinAmplification(to, requestSize, sealedLen(body)) {
		e.stats.answersTooLarge.Add(1)
		if e.debugOn() {
			e.log.Debug("rtmfp: IHello too small for an RHello", slog.String("from", to.String()), slog.Int("size", requestSize))
		}
		return
	}
	if sealedLen(body) > wire.MaxPacketSize {
		e.stats.answersTooLarge.Add(1)
		return
	}
	e.stats.hellosAnswered.Add(1)
	e.writeStartup(to, 0, body)
}

func (e *Endpoint) rhelloBody(dst []byte, now time.Time, to netip.AddrPort, tag []byte) []byte {
	cookie := e.cookies.Mint(now, to)
	dst = e.startupBody(dst, now)
	return wire.RHello{TagEcho: tag, Cookie: cookie[:], Certificate: e.id.responderCert}.Append(dst)
}

// RespondHello answers an IHello that Handler.Hello deferred: RHello when
// redirect is empty, otherwise a Redirect listing those addresses. The
// answer obeys the amplification bound of the original request. Safe from
// any goroutine.
func (e *Endpoint) RespondHello(req HelloRequest, redirect []Address) error {
	now := time.Now()
	if len(redirect) == 0 {
		var buf [maxDatagram]byte
		body := e.rhelloBody(buf[:0], now, req.From, req.Tag)
		if !withinAmplification(req.From, req.size, sealedLen(body)) {
			e.stats.answersTooLarge.Add(1)
			return ErrTooLarge
		}
		e.stats.hellosAnswered.Add(1)
		return e.writeStartup(req.From, 0, body)
	}
	return e.sendRedirect(now, req.From, req.Tag, redirect, req.size)
}

// SendRedirect answers a rendezvous IHello with a Redirect (0x71) listing
// addrs, as many as fit in one 1192-byte datagram. Safe from any
// goroutine.
func (e *Endpoint) SendRedirect(to netip.AddrPort, tag []byte, addrs []Address) error {
	return e.sendRedirect(time.Now(), to, tag, addrs, 0)
}

func (e *Endpoint) sendRedirect(now time.Time, to netip.AddrPort, tag []byte, addrs []Address, requestSize int) error {
	if len(addrs) == 0 {
		return ErrNoAddress
	}
	limit := wire.MaxPacketSize
	if requestSize > 0 {
		limit = min(limit, amplificationNum*(requestSize+ipOverhead(to))/amplificationDen-ipOverhead(to))
	}
	rd := wire.Redirect{TagEcho: tag}
	var buf [maxDatagram]byte
	var body []byte
	for _, a := range addrs {
		rd.Addresses = append(rd.Addresses, wire.Address{AddrPort: a.AddrPort, Origin: a.Origin})
		b := rd.Append(e.startupBody(buf[:0], now))
		if sealedLen(b) > limit {
			rd.Addresses = rd.Addresses[:len(rd.Addresses)-1]
			break
		}
		body = b
	}
	if body == nil {
		e.stats.answersTooLarge.Add(1)
		return ErrTooLarge
	}
	body = rd.Append(e.startupBody(buf[:0], now))
	e.stats.redirectsSent.Add(1)
	return e.writeStartup(to, 0, body)
}

// onForwardedHello is the P2P responder's half of an introduction: the
// server relays an initiator's IHello for our peer ID, and we answer the
// initiator directly with an RHello (loop of s).
func (e *Endpoint) onForwardedHello(now time.Time, s *Session, fh wire.ForwardedIHello) {
	if !e.cfg.AcceptPeers {
		e.stats.droppedUnexpected.Add(1)
		return
	}
	epd, err := wire.ParseEPD(fh.EPD)
	if err != nil || len(epd.Fingerprint) != wire.FingerprintLen || [32]byte(epd.Fingerprint) != e.id.peerID {
		e.stats.hellosNotForUs.Add(1)
		return
	}
	to := normalizeAddr(fh.ReplyAddress.AddrPort)
	if !to.IsValid() || to.Port() == 0 {
		e.stats.droppedMalformed.Add(1)
		return
	}
	l := s.loop
	body := e.rhelloBody(l.body[:0], now, to, fh.Tag)
	a := l.arenaFor()
	a = l.startupKey.Seal(a, 0, body)
	l.send(l.commit(a), to)
	e.stats.forwardedHellos.Add(1)
	if e.debugOn() {
		e.log.Debug("rtmfp: answered forwarded hello", slog.String("to", to.String()))
	}
}
