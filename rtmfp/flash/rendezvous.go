package flash

import (
	"log/slog"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"nimbus/core"
	"nimbus/rtmfp"
	"nimbus/rtmfp/wire"
)

// rendezvous answers an IHello whose EPD names a peer ID, sent to us by a
// connected peer (the transport checked that its address is proven). Core
// finds the target, applies the application's policy and the per-target
// rate limit; this side applies the per-source limit and then sends the
// initiator a Redirect to the target's addresses and the target one
// Forwarded IHello per initiator address. It never answers with RHello: our
// certificate does not match the EPD. An unknown peer gets a Redirect only
// when the application supplies addresses, else no answer at all.
//
// The transport delivers every retransmitted IHello (same tag) again, so
// the Forwarded IHellos are re-sent and keep refreshing NAT bindings.
func (s *Server) rendezvous(h *endpointHandler, req rtmfp.RendezvousRequest) {
	if !s.intros.allow(req.From, time.Now()) {
		s.stats.IntroductionsLimited.Add(1)
		s.introLog.log(s.log, slog.LevelWarn, "flash: introductions rate-limited", "from", req.From)
		return
	}
	// The request's slices may be reused by the transport once we return.
	epd := append([]byte(nil), req.EPD...)
	tag := append([]byte(nil), req.Tag...)
	from := req.From
	ireq := core.IntroductionRequest{From: from, Target: core.PeerID(req.Target), Attempt: req.Attempt}
	err := s.core.Introduce(ireq, func(in core.Introduction) {
		// On the core loop: only non-blocking sends from here.
		if in.Refused {
			return
		}
		if in.Target == nil {
			s.stats.IntroductionsUnknown.Add(1)
			s.introLog.log(s.log, slog.LevelDebug, "flash: introduction to an unknown peer",
				"from", from, "target", ireq.Target.String(), "redirect", len(in.Redirect))
		}
		if ep := h.ep.Load(); ep != nil && len(in.Redirect) > 0 {
			if s.sendRedirect(ep, from, tag, toRTMFP(in.Redirect)) {
				s.stats.Redirects.Add(1)
			}
		}
		if in.Target == nil {
			return
		}
		target, ok := in.TargetConn.(*serverSession)
		if !ok {
			return
		}
		if err := target.s.ForwardHello(epd, toRTMFP(in.Forward), tag); err != nil {
			s.log.Debug("flash: forwarded hello", "target", in.Target.HexID(), "err", err)
			return
		}
		s.stats.ForwardedHellos.Add(1)
	})
	if err != nil {
		s.introLog.log(s.log, slog.LevelWarn, "flash: introduction dropped", "from", from, "err", err)
	}
}

// sendRedirect sends a Redirect; the transport keeps as many addresses as
// fit in one datagram, in order (the observed address first).
func (s *Server) sendRedirect(ep *rtmfp.Endpoint, to netip.AddrPort, tag []byte, addrs []rtmfp.Address) bool {
	if err := ep.SendRedirect(to, tag, addrs); err != nil {
		s.log.Debug("flash: redirect", "to", to, "err", err)
		return false
	}
	return true
}

func toRTMFP(in []core.Address) []rtmfp.Address {
	out := make([]rtmfp.Address, len(in))
	for i, a := range in {
		out[i] = rtmfp.Address{AddrPort: a.AddrPort, Origin: wire.AddressOrigin(a.Origin)}
	}
	return out
}

// hello lets the application redirect a URL handshake (MonaServer
// onHandshake) when Config.ScriptRedirect is on. It runs before the
// client's address is proven, so it is rate-limited per source address;
// over the limit, or when core is busy, the handshake simply continues with
// this server. The answer goes out from the core loop: a Redirect to the
// addresses the application returned, or the normal RHello.
func (s *Server) hello(h *endpointHandler, req rtmfp.HelloRequest) bool {
	if !s.cfg.ScriptRedirect {
		return false
	}
	if !s.hellos.allow(req.From, time.Now()) {
		return false
	}
	ep := h.ep.Load()
	if ep == nil {
		return false
	}
	path, query := splitURL(req.URL)
	hr := &core.HandshakeRequest{
		Protocol:   "RTMFP",
		Address:    req.From,
		Path:       path,
		Query:      query,
		Properties: parseQuery(query),
		Attempt:    1,
	}
	// The request's slices may be reused once we return.
	req.EPD = append([]byte(nil), req.EPD...)
	req.Tag = append([]byte(nil), req.Tag...)
	err := s.core.Handshake(hr, func(res core.HandshakeResult) {
		var addrs []rtmfp.Address
		for _, a := range res.Redirect {
			addrs = append(addrs, rtmfp.Address{AddrPort: a, Origin: wire.OriginObserved})
		}
		if len(addrs) > 0 && res.IncludeSelf {
			if self, err := netip.ParseAddrPort(ep.LocalAddr().String()); err == nil && !self.Addr().IsUnspecified() {
				addrs = append(addrs, rtmfp.Address{AddrPort: self, Origin: wire.OriginObserved})
			}
		}
		if err := ep.RespondHello(req, addrs); err != nil {
			s.log.Debug("flash: handshake answer", "to", req.From, "err", err)
		}
	})
	return err == nil
}

// splitURL derives the application path ("" for the root, "/a/b") and the
// raw query from a connection URL, as core does for connecting clients.
func splitURL(raw string) (path, query string) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", ""
	}
	var kept []string
	for _, p := range strings.Split(u.Path, "/") {
		if p != "" && p != "." {
			kept = append(kept, p)
		}
	}
	if len(kept) > 0 {
		path = "/" + strings.Join(kept, "/")
	}
	return path, u.RawQuery
}

func parseQuery(q string) map[string]string {
	values, _ := url.ParseQuery(q)
	if len(values) == 0 {
		return nil
	}
	m := make(map[string]string, len(values))
	for k, v := range values {
		m[k] = v[0]
	}
	return m
}
