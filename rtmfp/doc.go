// Package rtmfp is the RTMFP endpoint (RFC 7016, Flash profile RFC 7425)
// for every role Nimbus needs: a server accepting sessions, a client
// opening them, and a peer that does both, P2P introductions included.
// It sits on rtmfp/wire (byte layouts) and rtmfp/crypto (packet protection,
// DH, keys, cookies) and knows nothing of the Flash messages carried in its
// flows (rtmfp/flash does).
//
// # Goroutines and ownership
//
// An Endpoint owns one socket and runs:
//
//   - one reader goroutine, reading batches of datagrams (recvmmsg via
//     x/net on Linux, one per call elsewhere). It routes session packets by
//     session ID to the loop that owns them (sid % loops) without a shared
//     map, and answers startup packets (SSID 0) itself: IHello statelessly,
//     IIKeying up to the cookie check and the RIKeying cache.
//   - Config.Loops event loops. Each owns its sessions (a session belongs
//     to one loop for life), its initiator handshakes, one timer heap with
//     one entry per session, and a queue (internal/queue) for packets, API
//     calls and new sessions. A loop decrypts, processes, builds and seals
//     its packets and writes them in batches (sendmmsg on Linux). No
//     goroutine and no time.Timer exist per session.
//   - DH workers, at most Config.MaxConcurrentDH at once, one per accepted
//     IIKeying; over the cap the keying is dropped and counted.
//
// Session, SendFlow and RecvFlow methods are safe from any goroutine unless
// documented otherwise: those that change state post to the session's loop.
// Handler.NewSession and every SessionHandler method run on the session's
// loop and must not block. Handler.Hello and Handler.Rendezvous run on the
// reader. Endpoint.Close, Dial and DialPeer wait for the loops, so they must
// not be called from a callback.
//
// # Handshake
//
// Responder: an IHello gets an RHello with a 64-byte stateless cookie
// (rtmfp/crypto.CookieJar: address-bound, valid for Config.CookieLifetime)
// and the 77-byte certificate (Adobe's layout: accepts ancillary data, 64
// random bytes, groups 2, 5, 14). No state, no DH and no handler call happen
// before a valid IIKeying, except Handler.Hello, which the Flash layer only
// uses when script redirection is configured. A genuine cookie from another
// address gets a Cookie Change. A valid keying starts a DH worker; a
// retransmitted keying (same address, initiator session ID and key
// component) gets the cached RIKeying bytes without new work, and a new
// keying with the same certificate from the same address replaces the old
// session. The RIKeying's key component starts 03 1a 00 00 02 1e 00 as
// librtmfp requires unless the initiator asked for HMACs or session sequence
// numbers (rtmfp-cpp can), which are then honoured in both directions.
//
// Initiator (Dial, DialPeer): IHello to every known address, retransmitted
// after 1 s, 2.5 s, 4 s... (each interval 1.5 s longer) until 95 s or the
// context's deadline; a Redirect adds addresses (tried in parallel); the
// first RHello with an acceptable certificate wins; IIKeying follows the
// same schedule and follows one Cookie Change.
//
// P2P: a server passes peer-ID IHellos to Handler.Rendezvous only when they
// come from the address of an established session, and answers with
// SendRedirect and Session.ForwardHello. A client endpoint with AcceptPeers
// answers Forwarded IHellos naming its peer ID by sending an RHello with its
// static certificate straight to the initiator.
//
// Glare (RFC 7016 §3.5.1.3): when two peers dial each other at once, each
// one's IIKeying may reach the other while its own opening is in progress;
// only one handshake may complete. The reader passes such a keying to the
// opening's loop. An opening whose own IIKeying has not left yet yields
// (the far end cannot see a glare then, so it never yields too). Once both
// keyings are out, the certificates as sent in them decide: the lower one
// wins, as in rtmfp-cpp (checkNearWinsGlare, RFC 7425 §4.3.6), so Flash
// and rtmfp-cpp peers agree. The winner ignores the loser's keying; the
// loser stops retransmitting and answers the winner's as responder.
// DialPeer returns the one session with the peer whatever its role: a
// yielded opening, or any opening to a peer whose keying we accept, ends
// with that responder session; an opening that meets a live session with
// the peer (the endpoint records one per peer) ends with it, and so does
// DialPeer when one exists already. The replace rule (a new keying with the
// same certificate from the same address aborts the old session: a
// restarted client) does not apply for 10 s to a session we opened to that
// peer: a keying then is a glare loser's late retransmission and is
// dropped (Stats.GlareLate). A restarted peer's keying, retransmitted for
// 95 s, gets through after that.
//
// # Amplification bound
//
// An answer to a packet from an unverified address is one datagram of at
// most 3.5× the request, both measured as they travel on the link, IP and
// UDP headers included (28 bytes for IPv4, 48 for IPv6). Counting UDP
// payloads only would forbid the 180-byte RHello that every Flash server
// sends in answer to Flash's 52-byte IHello for a short URL
// (rtmfp://cc.rtmfp.net, Appendix A.2 of the reference); with headers it is
// allowed. 3.5 rather than 3 answers librtmfp's 36-byte IHello (it sends
// only the URL's path, e.g. /live/x); shorter IHellos, without a real tag,
// get nothing.
//
// # Sessions and flows
//
// Packets stay within 1192 bytes. Every packet carries a timestamp, and an
// echo while one was received in the last 128 s; RTT samples come from the
// echoes. TC is set on packets carrying data of a flow marked time critical
// (SendFlow.SetTimeCritical: the Flash layer's audio and video); TCR is set
// only when another session received time-critical data in the last 800 ms. Messages are cut into fragments, repeated until
// acknowledged (or abandoned after their WriteUnreliable deadline, with the
// forward sequence number), reassembled and delivered in order. Acks use
// ranges (0x51), bitmaps (0x50) are accepted; an ack leaves within 200 ms,
// at once after two data packets or anything out of order. The sender
// follows RFC 7016 Appendix A: one congestion window per session (slow
// start, halving once per flight on loss, 2 packets after a timeout), loss
// after three later acknowledgements, ERTO from SRTT/RTTVAR (250 ms–10 s,
// ×√2 back-off), at most 6 data packets per send pass, and the receiver's
// window per flow. The advertised window is never 0.
//
// Keepalive pings start after Config.Keepalive of silence; a session silent
// for Config.IdleTimeout, or whose data stays unacknowledged that long, is
// closed. A packet from a new address is processed, but the session moves
// there only after a ping sent to that address is answered. Close sends
// 0x0c every 5 s until 0x4c or 90 s; 0x0c is answered with 0x4c, and a
// closed session answers its stray packets with 0x4c (one per 2 s) for 19 s.
package rtmfp
