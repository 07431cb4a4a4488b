package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"nimbus/core/amf"
	"nimbus/rtmfp/crypto"
	"nimbus/rtmfp/flash/message"
	"nimbus/rtmfp/wire"
)

// A swarm holds many RTMFP sessions with one server over a few UDP
// sockets; the sessions of a socket are told apart by their session IDs.
// The rtmfp.Endpoint cannot do this (internal/bench/NEEDS.md): it has one
// certificate, and a second session with the same certificate from the
// same address replaces the first (RFC 7016 §3.5.1.3). A swarm session
// therefore presents its own certificate: the swarm's static Diffie-Hellman
// key plus 16 bytes of extra randomness, which gives it its own peer ID
// while the key pair is generated once.
//
// A swarm session costs a struct and a session cipher: no goroutine, no
// timer. It does what a Flash client does when idle: the handshake,
// optionally NetConnection connect and setPeerInfo, then empty pings at the
// keepalive period, answers to the server's pings, and acknowledgements of
// whatever the server sends. It never sends media.
type swarm struct {
	url       string
	server    netip.AddrPort
	epd       []byte
	key       *crypto.PrivateKey
	socks     []*swSocket
	keepalive time.Duration
	log       *slog.Logger
	start     time.Time
	sidNext   atomic.Uint32
	closing   atomic.Bool
	connect   []byte // the connect command message
	peerInfo  []byte // the setPeerInfo command message

	introMu sync.Mutex
	intros  map[[16]byte]*swIntro

	peerClosed atomic.Uint64 // sessions the server closed or aborted
}

// Swarm timing. The IIKeying is retransmitted faster than Flash does (1 s)
// because a server drops IIKeyings beyond its DH worker bound and a load
// generator should not idle a second for each such drop.
const (
	swHelloRetry  = time.Second
	swKeyingRetry = 250 * time.Millisecond
	swDataRetry   = 500 * time.Millisecond
	swKeepTick    = 100 * time.Millisecond
	swBufferBlock = 16383 // receive window advertised in acks (Flash's ff 7f)
	swNCFlow      = 2     // our NetConnection flow ID (Flash's)
	swRecvBuffer  = 8 << 20
)

// Session stages.
const (
	swHello int32 = iota
	swKeying
	swOpen
	swGone
)

var (
	errSwarmClosed = errors.New("bench: swarm closed")
	errRejected    = errors.New("bench: connect rejected")
	errPeerClosed  = errors.New("bench: session closed by the server")
)

type swSocket struct {
	sw   *swarm
	conn *net.UDPConn
	addr netip.AddrPort

	mu       sync.RWMutex
	sessions map[uint32]*swSession // by our session ID
	tags     map[[16]byte]*swSession
	list     []*swSession // open sessions, for keepalives

	readerDone chan struct{}
	keepDone   chan struct{}
}

// swEvent is a handshake answer passed from the reader to an opening.
type swEvent struct {
	typ  wire.ChunkType
	from netip.AddrPort
	val  []byte // chunk value (a copy)
}

type swSession struct {
	sock   *swSocket
	sid    uint32
	peerID [32]byte
	stage  atomic.Int32

	lastRecv atomic.Int64 // unix nanoseconds of the last authenticated packet

	mu sync.Mutex
	// events carries handshake answers to the opening; nil once open.
	events chan swEvent
	farSID uint32
	cipher *crypto.SessionCipher
	// NetConnection state (connect mode).
	ncAcked   uint64            // highest of our sequence numbers acknowledged
	recvCum   map[uint64]uint64 // server flow → cumulative sequence received
	partial   map[uint64][]byte // server flow → message being reassembled
	connected chan error        // the connect answer, once
}

type swIntro struct {
	redirect, forward bool
	target            [32]byte
	done              chan struct{}
}

// newSwarm opens sockets UDP sockets towards the server of rawURL.
func newSwarm(rawURL string, sockets int, keepalive time.Duration, log *slog.Logger) (*swarm, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "rtmfp" || u.Hostname() == "" {
		return nil, fmt.Errorf("%w: bad URL %q", ErrBadConfig, rawURL)
	}
	port := 1935
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port <= 0 || port > 65535 {
			return nil, fmt.Errorf("%w: bad port in %q", ErrBadConfig, rawURL)
		}
	}
	ips, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip4", u.Hostname())
	if err != nil || len(ips) == 0 {
		return nil, fmt.Errorf("bench: resolve %q: %w", u.Hostname(), err)
	}
	key, err := crypto.GenerateKey(crypto.Group2, nil)
	if err != nil {
		return nil, err
	}
	sw := &swarm{
		url:       rawURL,
		server:    netip.AddrPortFrom(ips[0].Unmap(), uint16(port)),
		epd:       wire.EPD{AncillaryData: []byte(rawURL)}.Append(nil),
		key:       key,
		keepalive: keepalive,
		log:       log,
		start:     time.Now(),
		intros:    make(map[[16]byte]*swIntro),
	}
	if sw.connect, sw.peerInfo, err = flashConnectMessages(rawURL, u.Path); err != nil {
		return nil, err
	}
	for range sockets {
		pc, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4zero})
		if err != nil {
			sw.close()
			return nil, fmt.Errorf("bench: swarm socket: %w", err)
		}
		pc.SetReadBuffer(swRecvBuffer)
		pc.SetWriteBuffer(swRecvBuffer)
		s := &swSocket{
			sw: sw, conn: pc,
			addr:       netip.MustParseAddrPort(pc.LocalAddr().String()),
			sessions:   make(map[uint32]*swSession),
			tags:       make(map[[16]byte]*swSession),
			readerDone: make(chan struct{}),
			keepDone:   make(chan struct{}),
		}
		sw.socks = append(sw.socks, s)
		go s.read()
		go s.keepalives()
	}
	return sw, nil
}

// flashConnectMessages encodes the connect command (transaction 1) and the
// setPeerInfo that follows it, as the Flash client of rtmfp/flash sends
// them.
func flashConnectMessages(rawURL, path string) (connect, peerInfo []byte, err error) {
	props := amf.NewObject(
		amf.Member{Key: "app", Value: trimSlash(path)},
		amf.Member{Key: "flashVer", Value: "WIN 11,7,700,202"},
		amf.Member{Key: "swfUrl", Value: amf.Undefined{}},
		amf.Member{Key: "tcUrl", Value: rawURL},
		amf.Member{Key: "fpad", Value: false},
		amf.Member{Key: "capabilities", Value: 235.0},
		amf.Member{Key: "audioCodecs", Value: 3575.0},
		amf.Member{Key: "videoCodecs", Value: 252.0},
		amf.Member{Key: "videoFunction", Value: 1.0},
		amf.Member{Key: "pageUrl", Value: amf.Undefined{}},
		amf.Member{Key: "objectEncoding", Value: 3.0},
	)
	connect, err = message.Command{Name: message.CommandConnect, TID: 1, Object: props}.Append(nil)
	if err != nil {
		return nil, nil, fmt.Errorf("bench: connect command: %w", err)
	}
	peerInfo, err = message.Command{AMF3: true, Name: message.CommandSetPeerInfo}.Append(nil)
	if err != nil {
		return nil, nil, fmt.Errorf("bench: setPeerInfo command: %w", err)
	}
	return connect, peerInfo, nil
}

func trimSlash(p string) string {
	for len(p) > 0 && p[0] == '/' {
		p = p[1:]
	}
	return p
}

// timestamp is the swarm clock in 4 ms ticks.
func (sw *swarm) timestamp() uint16 { return uint16(time.Since(sw.start) / (4 * time.Millisecond)) }

// close aborts every session (0x4c, as Flash tears down) and closes the
// sockets.
func (sw *swarm) close() {
	if sw.closing.Swap(true) {
		return
	}
	for _, s := range sw.socks {
		s.mu.RLock()
		list := append([]*swSession(nil), s.list...)
		s.mu.RUnlock()
		for i, ss := range list {
			ss.sendChunks(wire.SessionCloseAck{}.Append(nil))
			if i%256 == 255 {
				time.Sleep(time.Millisecond) // pace: the server's socket buffer is finite
			}
		}
	}
	for _, s := range sw.socks {
		s.conn.Close()
		<-s.readerDone
		<-s.keepDone
	}
}

// sessionCount returns the open sessions (handshake done, not closed).
func (sw *swarm) sessionCount() int {
	n := 0
	for _, s := range sw.socks {
		s.mu.RLock()
		for _, ss := range s.list {
			if ss.stage.Load() == swOpen {
				n++
			}
		}
		s.mu.RUnlock()
	}
	return n
}

// open runs one session's handshake and, with connect, its NetConnection
// connect; it blocks until the session is usable or fails.
func (sw *swarm) open(ctx context.Context, sock *swSocket, connect bool, timeout time.Duration) (*swSession, error) {
	if sw.closing.Load() {
		return nil, errSwarmClosed
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	s := &swSession{sock: sock, sid: sw.sidNext.Add(1), events: make(chan swEvent, 4)}
	var tag [16]byte
	var rnd [16]byte
	rand.Read(tag[:])
	rand.Read(rnd[:])
	cert := wire.AppendStaticKeyOption(nil, 2, sw.key.Public)
	cert = wire.AppendExtraRandomnessOption(cert, rnd[:])
	parsed, err := wire.ParseCertificate(cert)
	if err != nil {
		return nil, err
	}
	s.peerID = crypto.Fingerprint(parsed)

	sock.mu.Lock()
	sock.sessions[s.sid] = s
	sock.tags[tag] = s
	sock.mu.Unlock()
	fail := func(err error) (*swSession, error) {
		s.stage.Store(swGone)
		sock.mu.Lock()
		delete(sock.sessions, s.sid)
		delete(sock.tags, tag)
		sock.mu.Unlock()
		return nil, err
	}

	// IHello until RHello.
	hello := wire.IHello{EPD: sw.epd, Tag: tag[:]}.Append(nil)
	var rhello wire.RHello
	for ev, err := range s.exchange(ctx, hello, 0, swHelloRetry) {
		if err != nil {
			return fail(fmt.Errorf("bench: hello: %w", err))
		}
		if ev.typ != wire.ChunkRHello {
			continue
		}
		rh, _, err := wire.ParseRHello(ev.val)
		if err != nil {
			continue
		}
		c, err := wire.ParseCertificate(rh.Certificate)
		if err != nil || c.IsStatic() || !c.AcceptsAncillaryData || !c.SupportsGroup(2) {
			continue
		}
		rhello = rh
		break
	}
	sock.mu.Lock()
	delete(sock.tags, tag)
	sock.mu.Unlock()

	// IIKeying until RIKeying.
	s.stage.Store(swKeying)
	var rndSKIC [64]byte
	rand.Read(rndSKIC[:])
	skic := wire.AppendGroupSelectOption(nil, 2)
	skic = wire.AppendExtraRandomnessOption(skic, rndSKIC[:])
	skic = wire.AppendHMACNegotiationOption(skic, wire.NegotiateSendOnRequest, 10)
	skic = wire.AppendSSeqNegotiationOption(skic, wire.NegotiateSendOnRequest)
	cookie := rhello.Cookie
	var rik wire.RIKeying
keying:
	for {
		iik := wire.IIKeying{InitiatorSID: s.sid, Cookie: cookie, Certificate: cert, SKIC: skic, Signature: []byte{'X'}}.Append(nil)
		for ev, err := range s.exchange(ctx, iik, 0, swKeyingRetry) {
			if err != nil {
				return fail(fmt.Errorf("bench: keying: %w", err))
			}
			switch ev.typ {
			case wire.ChunkRIKeying:
				r, _, err := wire.ParseRIKeying(ev.val)
				if err != nil || r.ResponderSID == 0 {
					continue
				}
				rik = r
				break keying
			case wire.ChunkCookieChange:
				cc, _, err := wire.ParseCookieChange(ev.val)
				if err == nil && len(cc.NewCookie) > 0 {
					cookie = cc.NewCookie
					continue keying
				}
			}
		}
	}
	skrc, err := wire.ParseKeyComponent(rik.SKRC)
	if err != nil {
		return fail(fmt.Errorf("bench: keying: %w", err))
	}
	mode, err := crypto.NegotiateMode(swKeyingPolicy, skrc)
	if err != nil {
		return fail(fmt.Errorf("bench: keying: %w", err))
	}
	pub, ok := skrc.EphemeralKey(2)
	if !ok {
		return fail(fmt.Errorf("bench: keying: no group 2 key: %w", ErrNoTarget))
	}
	secret, err := sw.key.SharedSecret(pub)
	if err != nil {
		return fail(fmt.Errorf("bench: keying: %w", err))
	}
	keys := crypto.DeriveSessionKeys(secret, skic, rik.SKRC)
	cipher, err := crypto.NewSessionCipher(&keys, mode)
	if err != nil {
		return fail(fmt.Errorf("bench: keying: %w", err))
	}
	s.mu.Lock()
	s.farSID, s.cipher = rik.ResponderSID, cipher
	if connect {
		s.recvCum = make(map[uint64]uint64)
		s.partial = make(map[uint64][]byte)
		s.connected = make(chan error, 1)
	}
	s.mu.Unlock()
	s.lastRecv.Store(time.Now().UnixNano())
	s.stage.Store(swOpen)
	s.mu.Lock()
	s.events = nil // the reader posts no more handshake answers
	s.mu.Unlock()
	sock.mu.Lock()
	sock.list = append(sock.list, s)
	sock.mu.Unlock()
	if !connect {
		return s, nil
	}

	// NetConnection connect and setPeerInfo on flow 2, retransmitted until
	// the server acknowledges both; then wait for the connect answer.
	md := message.TCMetadata{}.Append(nil)
	data := wire.UserData{Flags: wire.UserDataHasOptions, FlowID: swNCFlow, Seq: 1, FSNOffset: 1,
		Options: wire.AppendMetadataOption(nil, md), Data: sw.connect}.Append(nil)
	data = wire.UserData{FlowID: swNCFlow, Seq: 2, FSNOffset: 2, Data: sw.peerInfo}.Append(data)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case err := <-s.connected:
			if err != nil {
				s.abort()
				return nil, err
			}
			return s, nil
		case <-t.C:
			s.mu.Lock()
			acked := s.ncAcked >= 2
			s.mu.Unlock()
			if !acked {
				s.sendChunks(data)
			}
			t.Reset(swDataRetry)
		case <-ctx.Done():
			s.abort()
			return nil, fmt.Errorf("bench: connect: %w", ctx.Err())
		}
	}
}

// swKeyingPolicy is what Flash offers: HMAC and sequence numbers only on
// request.
var swKeyingPolicy = crypto.KeyingPolicy{
	HMAC:    crypto.Policy{SendOnRequest: true},
	HMACLen: 10,
	SSeq:    crypto.Policy{SendOnRequest: true},
}

// exchange sends a startup chunk now and every retry until the caller
// stops ranging, yielding the answers the reader passes to the opening;
// it yields an error when ctx ends.
func (s *swSession) exchange(ctx context.Context, chunk []byte, ssid uint32, retry time.Duration) func(yield func(swEvent, error) bool) {
	return func(yield func(swEvent, error) bool) {
		t := time.NewTimer(0)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				s.sock.sendStartup(ssid, chunk)
				t.Reset(retry)
			case ev := <-s.events:
				if !yield(ev, nil) {
					return
				}
			case <-ctx.Done():
				yield(swEvent{}, ctx.Err())
				return
			}
		}
	}
}

// startupKeys holds default-key ciphers for startup packets sent from
// opening goroutines (a PacketKey is not safe for concurrent use).
var startupKeys = sync.Pool{New: func() any {
	k, _ := crypto.NewDefaultPacketKey()
	return k
}}

// sendStartup seals a startup packet with the default key.
func (sock *swSocket) sendStartup(ssid uint32, chunk []byte) {
	k, _ := startupKeys.Get().(*crypto.PacketKey)
	if k == nil {
		return
	}
	body := wire.NewHeader(wire.ModeStartup, sock.sw.timestamp(), 0, false).Append(nil)
	body = append(body, chunk...)
	sock.conn.WriteToUDPAddrPort(k.Seal(nil, ssid, body), sock.sw.server)
	startupKeys.Put(k)
}

// sendChunks sends one session packet carrying chunks.
func (s *swSession) sendChunks(chunks []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sendLocked(chunks)
}

func (s *swSession) sendLocked(chunks []byte) {
	if s.cipher == nil {
		return
	}
	var body [wire.MaxPacketSize]byte
	var out [wire.MaxPacketSize + crypto.MaxOverhead]byte
	b := wire.NewHeader(wire.ModeInitiator, s.sock.sw.timestamp(), 0, false).Append(body[:0])
	b = append(b, chunks...)
	s.sock.conn.WriteToUDPAddrPort(s.cipher.Seal(out[:0], s.farSID, b), s.sock.sw.server)
}

// abort tears the session down (0x4c) and forgets it.
func (s *swSession) abort() {
	if s.stage.Swap(swGone) == swGone {
		return
	}
	s.sendChunks(wire.SessionCloseAck{}.Append(nil))
	s.forget()
}

func (s *swSession) forget() {
	sock := s.sock
	sock.mu.Lock()
	delete(sock.sessions, s.sid)
	for i, x := range sock.list {
		if x == s {
			sock.list[i] = sock.list[len(sock.list)-1]
			sock.list = sock.list[:len(sock.list)-1]
			break
		}
	}
	sock.mu.Unlock()
}

// read is the socket's reader.
func (sock *swSocket) read() {
	defer close(sock.readerDone)
	startup, err := crypto.NewDefaultPacketKey()
	if err != nil {
		return
	}
	buf := make([]byte, 2048)
	for {
		n, from, err := sock.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		pkt := buf[:n]
		ssid, err := crypto.SSID(pkt)
		if err != nil {
			continue
		}
		if ssid == 0 {
			sock.onStartup(startup, from, pkt)
			continue
		}
		sock.mu.RLock()
		s := sock.sessions[ssid]
		sock.mu.RUnlock()
		if s == nil {
			continue
		}
		switch s.stage.Load() {
		case swKeying:
			sock.onKeyingAnswer(startup, s, from, pkt)
		case swOpen:
			s.onPacket(pkt)
		}
	}
}

// onStartup handles RHello and Redirect.
func (sock *swSocket) onStartup(k *crypto.PacketKey, from netip.AddrPort, pkt []byte) {
	c, ok := openStartup(k, pkt)
	if !ok {
		return
	}
	switch c.Type {
	case wire.ChunkRHello:
		rh, _, err := wire.ParseRHello(c.Value)
		if err != nil || len(rh.TagEcho) != 16 {
			return
		}
		sock.mu.RLock()
		s := sock.tags[[16]byte(rh.TagEcho)]
		sock.mu.RUnlock()
		if s != nil {
			s.post(swEvent{typ: c.Type, from: from, val: append([]byte(nil), c.Value...)})
		}
	case wire.ChunkRedirect:
		rd, _, err := wire.ParseRedirect(c.Value)
		if err == nil && len(rd.TagEcho) == 16 {
			sock.sw.introEvent([16]byte(rd.TagEcho), true, [32]byte{})
		}
	}
}

// onKeyingAnswer handles RIKeying and Cookie Change (default key, our
// session ID).
func (sock *swSocket) onKeyingAnswer(k *crypto.PacketKey, s *swSession, from netip.AddrPort, pkt []byte) {
	c, ok := openStartup(k, pkt)
	if !ok || (c.Type != wire.ChunkRIKeying && c.Type != wire.ChunkCookieChange) {
		return
	}
	s.post(swEvent{typ: c.Type, from: from, val: append([]byte(nil), c.Value...)})
}

func (s *swSession) post(ev swEvent) {
	s.mu.Lock()
	ch := s.events
	s.mu.Unlock()
	if ch == nil {
		return
	}
	select {
	case ch <- ev:
	default:
	}
}

// openStartup decrypts a startup packet and returns its first chunk.
func openStartup(k *crypto.PacketKey, pkt []byte) (wire.Chunk, bool) {
	if (len(pkt)-4)%16 != 0 {
		return wire.Chunk{}, false
	}
	body, err := k.Open(pkt)
	if err != nil {
		return wire.Chunk{}, false
	}
	h, hn, err := wire.ParseHeader(body)
	if err != nil || h.Mode() != wire.ModeStartup {
		return wire.Chunk{}, false
	}
	r := wire.NewChunkReader(body[hn:])
	return r.Next()
}

// onPacket handles a session packet (reader goroutine).
func (s *swSession) onPacket(pkt []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cipher == nil {
		return
	}
	body, err := s.cipher.Open(pkt)
	if err != nil {
		return
	}
	h, hn, err := wire.ParseHeader(body)
	if err != nil || h.Mode() != wire.ModeResponder {
		return
	}
	s.lastRecv.Store(time.Now().UnixNano())
	var out []byte
	var touched [4]uint64
	nTouched := 0
	var prev wire.UserData
	havePrev := false
	r := wire.NewChunkReader(body[hn:])
	for {
		c, ok := r.Next()
		if !ok {
			break
		}
		var u wire.UserData
		isData := false
		switch c.Type {
		case wire.ChunkPing:
			p, _, err := wire.ParsePing(c.Value)
			if err == nil {
				out = wire.PingReply{Body: p.Body}.Append(out)
			}
		case wire.ChunkUserData:
			if u, _, err = wire.ParseUserData(c.Value); err == nil {
				isData = true
			}
		case wire.ChunkNextUserData:
			if nu, _, err := wire.ParseNextUserData(c.Value); err == nil && havePrev {
				u, isData = nu.Follow(prev), true
			}
		case wire.ChunkAckRanges:
			if a, _, err := wire.ParseAckRanges(c.Value, nil); err == nil && a.FlowID == swNCFlow {
				s.ncAcked = max(s.ncAcked, a.CumAck)
			}
		case wire.ChunkForwardedIHello:
			if fh, _, err := wire.ParseForwardedIHello(c.Value); err == nil && len(fh.Tag) == 16 && len(fh.EPD) >= 32 {
				s.sock.sw.introEvent([16]byte(fh.Tag), false, s.peerID)
			}
		case wire.ChunkSessionClose, wire.ChunkSessionCloseAck:
			if c.Type == wire.ChunkSessionClose {
				s.sendLocked(wire.SessionCloseAck{}.Append(nil))
			}
			if s.stage.Swap(swGone) != swGone {
				s.sock.sw.peerClosed.Add(1)
				if s.connected != nil {
					select {
					case s.connected <- errPeerClosed:
					default:
					}
				}
			}
			return
		}
		prev, havePrev = u, isData
		if isData && s.recvCum != nil {
			if s.onUserData(u) && nTouched < len(touched) {
				seen := false
				for _, f := range touched[:nTouched] {
					seen = seen || f == u.FlowID
				}
				if !seen {
					touched[nTouched] = u.FlowID
					nTouched++
				}
			}
		}
	}
	for _, f := range touched[:nTouched] {
		out = wire.Ack{FlowID: f, BufferBlocks: swBufferBlock, CumAck: s.recvCum[f]}.Append(out)
	}
	if len(out) > 0 {
		s.sendLocked(out)
	}
}

// onUserData tracks one fragment of a server flow (in-order delivery only:
// a fragment past a gap is left for the server to retransmit) and passes
// whole messages to onMessage. It reports whether the flow needs an ack.
func (s *swSession) onUserData(u wire.UserData) bool {
	if len(s.recvCum) >= 64 {
		if _, ok := s.recvCum[u.FlowID]; !ok {
			return false // the server opens a handful of flows; ignore a flood
		}
	}
	cum := s.recvCum[u.FlowID]
	if fsn := u.FSN(); fsn > cum && u.Seq > fsn {
		cum = fsn
		delete(s.partial, u.FlowID)
	}
	if u.Seq != cum+1 {
		s.recvCum[u.FlowID] = cum
		return true
	}
	s.recvCum[u.FlowID] = u.Seq
	if u.Flags&wire.UserDataAbandon != 0 {
		delete(s.partial, u.FlowID)
		return true
	}
	switch u.Flags.Fragment() {
	case wire.FragmentWhole:
		s.onMessage(u.Data)
	case wire.FragmentFirst:
		s.partial[u.FlowID] = append([]byte(nil), u.Data...)
	case wire.FragmentMiddle, wire.FragmentLast:
		p, ok := s.partial[u.FlowID]
		if !ok || len(p)+len(u.Data) > 1<<16 {
			delete(s.partial, u.FlowID)
			break
		}
		p = append(p, u.Data...)
		if u.Flags.Fragment() == wire.FragmentLast {
			delete(s.partial, u.FlowID)
			s.onMessage(p)
		} else {
			s.partial[u.FlowID] = p
		}
	}
	return true
}

// onMessage looks for the answer to connect (transaction 1).
func (s *swSession) onMessage(msg []byte) {
	cmd, _, err := message.ParseCommand(msg)
	if err != nil || cmd.TID != 1 || s.connected == nil {
		return
	}
	var answer error
	switch cmd.Name {
	case message.CommandResult:
	case message.CommandError:
		answer = errRejected
		if len(cmd.Args) > 0 {
			if st, ok := message.ParseStatus(cmd.Args[0]); ok {
				answer = fmt.Errorf("%w: %s", errRejected, st.Code)
			}
		}
	default:
		return
	}
	select {
	case s.connected <- answer:
	default:
	}
}

// keepalives pings every open session once per keepalive period, spread
// over the period in ticks.
func (sock *swSocket) keepalives() {
	defer close(sock.keepDone)
	t := time.NewTicker(swKeepTick)
	defer t.Stop()
	ticks := max(int(sock.sw.keepalive/swKeepTick), 1)
	tick := 0
	ping := wire.Ping{}.Append(nil)
	var batch []*swSession
	for range t.C {
		if sock.sw.closing.Load() {
			return
		}
		sock.mu.RLock()
		n := len(sock.list)
		lo, hi := n*tick/ticks, n*(tick+1)/ticks
		batch = append(batch[:0], sock.list[lo:hi]...)
		sock.mu.RUnlock()
		tick = (tick + 1) % ticks
		for _, s := range batch {
			if s.stage.Load() == swOpen {
				s.sendChunks(ping)
			}
		}
	}
}

// probe pings every open session and counts those that answer (any
// authenticated packet) within wait, pinging the silent ones again every
// second.
func (sw *swarm) probe(wait time.Duration) int {
	start := time.Now()
	ping := wire.Ping{Body: []byte("probe")}.Append(nil)
	var all []*swSession
	for _, sock := range sw.socks {
		sock.mu.RLock()
		all = append(all, sock.list...)
		sock.mu.RUnlock()
	}
	deadline := start.Add(wait)
	for {
		silent := 0
		for i, s := range all {
			if s.stage.Load() != swOpen || s.lastRecv.Load() >= start.UnixNano() {
				continue
			}
			silent++
			s.sendChunks(ping)
			if i%512 == 511 {
				time.Sleep(time.Millisecond) // pace: the server's socket buffer is finite
			}
		}
		if silent == 0 || time.Now().After(deadline) {
			break
		}
		next := time.Now().Add(time.Second)
		for time.Now().Before(next) && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
			if sw.countSince(all, start) == len(all) {
				break
			}
		}
	}
	return sw.countSince(all, start)
}

func (sw *swarm) countSince(all []*swSession, t time.Time) int {
	n := 0
	for _, s := range all {
		if s.stage.Load() == swOpen && s.lastRecv.Load() >= t.UnixNano() {
			n++
		}
	}
	return n
}

// introduce asks the server, from s's socket, for a session with target
// (an IHello whose EPD is the target's peer ID) and waits until both
// halves of the introduction arrived: the Redirect to us and the Forwarded
// IHello in the target's session (which must belong to this swarm).
func (sw *swarm) introduce(ctx context.Context, from *swSocket, target [32]byte, retry time.Duration) error {
	var tag [16]byte
	rand.Read(tag[:])
	in := &swIntro{target: target, done: make(chan struct{})}
	sw.introMu.Lock()
	sw.intros[tag] = in
	sw.introMu.Unlock()
	defer func() {
		sw.introMu.Lock()
		delete(sw.intros, tag)
		sw.introMu.Unlock()
	}()
	hello := wire.IHello{EPD: wire.AppendCanonicalEPD(nil, target), Tag: tag[:]}.Append(nil)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			from.sendStartup(0, hello)
			t.Reset(retry)
		case <-in.done:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// introEvent records half of an introduction.
func (sw *swarm) introEvent(tag [16]byte, redirect bool, target [32]byte) {
	sw.introMu.Lock()
	defer sw.introMu.Unlock()
	in := sw.intros[tag]
	if in == nil {
		return
	}
	if redirect {
		in.redirect = true
	} else if target == in.target {
		in.forward = true
	}
	if in.redirect && in.forward {
		delete(sw.intros, tag)
		close(in.done)
	}
}
