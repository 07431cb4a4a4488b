package flash

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync/atomic"
	"time"

	"nimbus/core"
	"nimbus/core/amf"
	"nimbus/rtmfp"
	"nimbus/rtmfp/flash/message"
)

// flowKind says what an incoming flow of a server session carries.
type flowKind uint8

const (
	kindNetConnection flowKind = iota + 1
	kindStream
	kindGroup
)

// recvRole is what the session knows about one incoming flow.
type recvRole struct {
	kind   flowKind
	stream *netStream   // kindStream
	member *groupMember // kindGroup, once joined
}

// serverSession is the server side of one RTMFP session: the
// rtmfp.SessionHandler (session loop) and the core.Conn (core loop).
type serverSession struct {
	srv    *Server
	s      *rtmfp.Session
	peerID core.PeerID

	// Session loop only.
	flows   map[uint64]*recvRole
	streams map[uint32]*netStream
	ncFlow  uint64 // ID of the client's NetConnection flow, 0 before connect
	client  *core.Client
	groups  int
	gone    bool
	// shedding is set while calls are being shed, to log the start and the
	// end of a flood once.
	shedding bool
	shed     uint64

	// Set on the session loop before the connect request is posted to
	// core; read-only afterwards, so the core loop may use them.
	main       *flowWriter
	connectTID float64

	accepted     atomic.Bool
	pendingCalls atomic.Int32
}

var _ core.Conn = (*serverSession)(nil)

func newServerSession(srv *Server, s *rtmfp.Session) *serverSession {
	return &serverSession{
		srv:     srv,
		s:       s,
		peerID:  core.PeerID(s.FarPeerID()),
		flows:   make(map[uint64]*recvRole),
		streams: make(map[uint32]*netStream),
	}
}

// --- rtmfp.SessionHandler (session loop) ---

// OnFlow accepts the flows a Flash client opens: its NetConnection flow
// (TC, stream 0), NetStream flows (TC, a stream created with createStream)
// and NetGroup flows (GC). Anything else is rejected.
func (ss *serverSession) OnFlow(f *rtmfp.RecvFlow) bool {
	md := f.Metadata()
	var role *recvRole
	switch {
	case message.IsTC(md):
		tc, _, err := message.ParseTCMetadata(md)
		if err != nil {
			break
		}
		if tc.StreamID == 0 {
			role = &recvRole{kind: kindNetConnection}
			break
		}
		if tc.StreamID <= uint64(^uint32(0)) {
			if st := ss.streams[uint32(tc.StreamID)]; st != nil {
				role = &recvRole{kind: kindStream, stream: st}
			}
		}
	case message.IsGC(md):
		if ss.client != nil {
			role = &recvRole{kind: kindGroup}
		}
	}
	if role == nil {
		ss.srv.stats.FlowsRejected.Add(1)
		ss.srv.badLog.log(ss.srv.log, slog.LevelDebug, "flash: flow rejected", "peer", ss.peerID.String(), "metadata", md)
		return false
	}
	ss.flows[f.ID()] = role
	return true
}

// OnMessage dispatches one message by the kind of its flow.
func (ss *serverSession) OnMessage(f *rtmfp.RecvFlow, msg []byte) {
	role := ss.flows[f.ID()]
	if role == nil || ss.gone {
		return
	}
	switch role.kind {
	case kindNetConnection:
		ss.onNetConnectionMessage(f, msg)
	case kindStream:
		role.stream.onMessage(f, msg)
	case kindGroup:
		ss.onGroupMessage(f, role, msg)
	}
}

// OnFlowEnd forgets the flow; a NetGroup flow ending means leaving the
// group.
func (ss *serverSession) OnFlowEnd(f *rtmfp.RecvFlow) {
	role := ss.flows[f.ID()]
	if role == nil {
		return
	}
	delete(ss.flows, f.ID())
	if role.kind == kindGroup && role.member != nil {
		ss.groups--
		role.member.leave()
	}
}

// OnAddressChanged reports the client's new address to core (mobility).
func (ss *serverSession) OnAddressChanged(_, now netip.AddrPort) {
	if ss.client != nil {
		ss.srv.core.AddressChanged(ss.client, now)
	}
}

// OnClosed ends the client in core: its publications, subscriptions and
// memberships end there, with their events.
func (ss *serverSession) OnClosed(err error) {
	if ss.gone {
		return
	}
	ss.gone = true
	for _, st := range ss.streams {
		st.closeFlows()
	}
	if ss.client != nil {
		if reason := failureReason(err); reason != "" {
			ss.srv.core.Fail(ss.client, reason)
		} else {
			ss.srv.core.Disconnect(ss.client)
		}
	}
	ss.srv.removeSession(ss)
	ss.srv.log.Debug("flash: session closed", "peer", ss.peerID.String(), "reason", err)
}

// failureReason names the session ends that are failures of the client
// (Cumulus' onFailed): it went silent or stopped acknowledging. An orderly
// close, from either side, or a replacement by a new session is not one.
func failureReason(err error) string {
	switch {
	case errors.Is(err, rtmfp.ErrIdleTimeout):
		return "Timeout no client message"
	case errors.Is(err, rtmfp.ErrRetransmitLimit):
		return "Timeout: client stopped acknowledging"
	}
	return ""
}

// shedClient closes a client whose requests core could not take.
func (ss *serverSession) shedClient(what string) {
	ss.srv.stats.ClientsShed.Add(1)
	ss.srv.shedLog.log(ss.srv.log, slog.LevelWarn, "flash: core busy, client shed", "peer", ss.peerID.String(), "request", what)
	ss.s.Close()
}

// --- NetConnection flow (session loop) ---

func (ss *serverSession) onNetConnectionMessage(f *rtmfp.RecvFlow, msg []byte) {
	m, _, err := message.ParseMessage(msg)
	if err != nil {
		ss.badMessage("netconnection", err)
		return
	}
	switch m.Type {
	case message.TypeCommandAMF0, message.TypeCommandAMF3:
	default:
		// User control (Set Buffer Length) and the rest carry nothing the
		// server needs.
		return
	}
	cmd, _, err := message.ParseCommand(msg)
	if err != nil {
		ss.badMessage("netconnection command", err)
		return
	}
	if cmd.Name == message.CommandConnect {
		ss.onConnect(f, cmd)
		return
	}
	if ss.client == nil {
		return // nothing is served before connect
	}
	switch cmd.Name {
	case message.CommandSetPeerInfo:
		addrs := message.ParsePeerAddresses(cmd.Args, ss.srv.cfg.MaxPeerInfo)
		ss.srv.core.SetPeerAddresses(ss.client, addrs)
	case message.CommandCreateStream:
		ss.onCreateStream(cmd)
	case message.CommandDeleteStream:
		if id, ok := streamIDArg(cmd.Args); ok {
			if st := ss.streams[id]; st != nil {
				st.teardown()
				delete(ss.streams, id)
			}
		}
	default:
		ss.onCall(cmd)
	}
}

func (ss *serverSession) badMessage(part string, err error) {
	ss.srv.stats.BadMessages.Add(1)
	ss.srv.badLog.log(ss.srv.log, slog.LevelDebug, "flash: bad message", "peer", ss.peerID.String(), "part", part, "err", err)
}

// onConnect opens the return flow that carries everything the server says
// on the connection, then asks core (the application) to accept the client.
func (ss *serverSession) onConnect(f *rtmfp.RecvFlow, cmd message.Command) {
	if ss.client != nil || ss.main != nil {
		return // one connection per session
	}
	flow, err := ss.s.OpenFlow(ncMetadata, f.ID())
	if err != nil {
		ss.srv.log.Debug("flash: connect: return flow", "peer", ss.peerID.String(), "err", err)
		ss.s.Close()
		return
	}
	ss.ncFlow = f.ID()
	ss.main = newFlowWriter(ss, flow, true)
	ss.connectTID = cmd.TID
	if limit := max(ss.srv.cfg.MaxConnectArgs, 0); len(cmd.Args) > limit {
		ss.srv.log.Info("flash: connect rejected: too many arguments", "peer", ss.peerID.String(), "args", len(cmd.Args), "max", limit)
		ss.Reject("NetConnection.Connect.Rejected", fmt.Sprintf("too many connect arguments: %d, at most %d", len(cmd.Args), limit))
		return
	}
	req := &core.ConnectRequest{
		Protocol: "RTMFP",
		PeerID:   ss.peerID,
		Address:  ss.s.RemoteAddr(),
		Args:     cmd.Args,
	}
	if o, ok := cmd.Object.(*amf.Object); ok {
		req.Properties = o.Members
		if url, ok := o.Get("tcUrl"); ok {
			req.URL, _ = url.(string)
		}
		if req.URL == "" {
			app, _ := o.Get("app")
			s, _ := app.(string)
			req.URL = "rtmfp:///" + s
		}
	}
	c, err := ss.srv.core.Connect(ss, req)
	if err != nil {
		ss.shedClient("connect")
		return
	}
	ss.client = c
	ss.srv.stats.Connects.Add(1)
}

// onCreateStream allocates the lowest free stream number (as MonaServer
// does) and answers at once: the stream exists only in this layer until
// its first publish or play. The answer goes even with transaction ID 0:
// librtmfp sends createStream so and waits for the stream number, which
// MonaServer and Cumulus send whatever the transaction.
func (ss *serverSession) onCreateStream(cmd message.Command) {
	if len(ss.streams) >= ss.srv.cfg.MaxStreams {
		ss.srv.stats.StreamsRefused.Add(1)
		ss.main.WriteError(cmd.TID, "NetConnection.Call.Failed", "too many streams")
		return
	}
	id := uint32(1)
	for ss.streams[id] != nil {
		id++
	}
	ss.streams[id] = newNetStream(ss, id)
	ss.main.WriteResult(cmd.TID, float64(id))
}

func streamIDArg(args []any) (uint32, bool) {
	if len(args) == 0 {
		return 0, false
	}
	f, ok := args[0].(float64)
	if !ok || f < 1 || f > float64(^uint32(0)) || f != float64(uint32(f)) {
		return 0, false
	}
	return uint32(f), true
}

// onCall passes an RPC to core. At most MaxPendingCalls calls of one
// client wait for the core loop; the rest are shed, so a flooding client
// costs a bounded share of the queue.
func (ss *serverSession) onCall(cmd message.Command) {
	limit := int32(ss.srv.cfg.MaxPendingCalls)
	if ss.pendingCalls.Add(1) > limit {
		ss.pendingCalls.Add(-1)
		ss.srv.stats.CallsShed.Add(1)
		ss.shed++
		if !ss.shedding {
			ss.shedding = true
			ss.srv.shedLog.log(ss.srv.log, slog.LevelWarn, "flash: RPC flood, calls shed",
				"peer", ss.peerID.String(), "pending", limit, "method", clip(cmd.Name))
		}
		return
	}
	if ss.shedding && ss.pendingCalls.Load() <= limit/2 {
		ss.shedding = false
		ss.srv.log.Info("flash: RPC flood over", "peer", ss.peerID.String(), "shed", ss.shed)
		ss.shed = 0
	}
	call := &core.Call{Name: cmd.Name, TID: cmd.TID, Args: cmd.Args, Done: func() { ss.pendingCalls.Add(-1) }}
	if err := ss.srv.core.Call(ss.client, call); err != nil {
		ss.pendingCalls.Add(-1)
		ss.shedClient("call")
	}
}

func clip(s string) string {
	const max = 40
	if len(s) <= max {
		return s
	}
	return s[:max] + "..."
}

// --- core.Conn (core loop) ---

// Protocol is "RTMFP".
func (ss *serverSession) Protocol() string { return "RTMFP" }

// Address is the client's current observed address.
func (ss *serverSession) Address() netip.AddrPort { return ss.s.RemoteAddr() }

// Ping is the session's round-trip time estimate.
func (ss *serverSession) Ping() time.Duration { return ss.s.RTT() }

// LastReception is when the last packet of the session arrived.
func (ss *serverSession) LastReception() time.Time { return ss.s.LastReception() }

// Accept answers the connect with "_result" NetConnection.Connect.Success,
// then sends Set Keepalive Timers (MonaServer 2 sends it right after the
// connect answer; Flash accepts it there).
func (ss *serverSession) Accept(c *core.Client, info []amf.Member) {
	ss.accepted.Store(true)
	st := message.Status{
		Level:       message.LevelStatus,
		Code:        "NetConnection.Connect.Success",
		Description: "Connection succeeded",
		Extra:       append([]amf.Member{{Key: "objectEncoding", Value: c.ObjectEncoding}}, info...),
	}
	if err := ss.main.WriteResult(ss.connectTID, st.Object()); err != nil {
		ss.srv.log.Warn("flash: connect answer", "peer", ss.peerID.String(), "err", err)
		ss.s.Close()
		return
	}
	tc := ss.srv.cfg.Transport
	ka := message.SetKeepalive(millis(tc.KeepaliveServer), millis(tc.KeepalivePeer))
	ss.main.send(ka.Append(nil))
}

func millis(d time.Duration) uint32 {
	return uint32(min(d.Milliseconds(), int64(^uint32(0))))
}

// Reject answers the connect with "_error", invokes the client's "close"
// (as Cumulus and MonaServer do) and closes the session; the transport
// delivers the queued messages before it closes.
func (ss *serverSession) Reject(code, description string) {
	ss.main.WriteError(ss.connectTID, code, description)
	ss.main.WriteInvocation(message.CommandClose)
	ss.main.closed.Store(true)
	ss.main.flow.Close()
	ss.s.Close()
}

// Writer is the main writer: the return flow of the NetConnection flow.
func (ss *serverSession) Writer() core.Writer { return ss.main }

// Close ends the connection from the server side.
func (ss *serverSession) Close() { ss.s.Close() }

// newWriter opens one more flow associated to the NetConnection flow.
// Safe from any goroutine (OpenFlow is).
func (ss *serverSession) newWriter() (core.Writer, error) {
	flow, err := ss.s.OpenFlow(ncMetadata, ss.ncFlow)
	if err != nil {
		return nil, err
	}
	return newFlowWriter(ss, flow, false), nil
}
