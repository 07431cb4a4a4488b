package flash

import (
	"log/slog"
	"sync/atomic"

	"nimbus/core"
	"nimbus/rtmfp"
	"nimbus/rtmfp/flash/message"
)

// groupMember is a client's membership of one NetGroup: the client's GC
// flow (session loop) and the server's GC return flow, on which core has
// neighbour peer IDs written (core loop).
type groupMember struct {
	sess       *serverSession
	flow       *rtmfp.SendFlow
	membership *core.Membership // session loop
	closed     atomic.Bool
}

var _ core.GroupConn = (*groupMember)(nil)

// onGroupMessage handles the join message of a GC flow. Only the first
// join of a flow counts; a client joins several groups with several flows.
func (ss *serverSession) onGroupMessage(f *rtmfp.RecvFlow, role *recvRole, msg []byte) {
	if role.member != nil {
		return
	}
	j, _, err := message.ParseGroupJoin(msg)
	if err != nil {
		ss.badMessage("netgroup join", err)
		return
	}
	if ss.groups >= ss.srv.cfg.MaxGroups {
		ss.srv.stats.GroupsRefused.Add(1)
		ss.srv.badLog.log(ss.srv.log, slog.LevelWarn, "flash: too many groups", "peer", ss.peerID.String(), "max", ss.srv.cfg.MaxGroups)
		f.Reject(0)
		return
	}
	flow, err := ss.s.OpenFlow(message.GCMetadata, f.ID())
	if err != nil {
		ss.srv.log.Debug("flash: netgroup return flow", "peer", ss.peerID.String(), "err", err)
		f.Reject(0)
		return
	}
	gm := &groupMember{sess: ss, flow: flow}
	m, err := ss.srv.core.JoinGroup(ss.client, core.PeerID(j.ID), gm)
	if err != nil {
		flow.Close()
		ss.shedClient("join group")
		return
	}
	gm.membership = m
	role.member = gm
	ss.groups++
}

// leave ends the membership when the client ends its GC flow (session
// loop).
func (gm *groupMember) leave() {
	gm.sess.srv.core.LeaveGroup(gm.membership)
	gm.Close()
}

// WriteNeighbour writes 0b ‖ peerID on the GC return flow: the member then
// introduces itself to that peer through the server.
func (gm *groupMember) WriteNeighbour(peerID core.PeerID) {
	if gm.closed.Load() {
		return
	}
	gm.flow.Write(message.GroupNeighbour{PeerID: peerID}.Append(nil))
}

// Close ends the return flow.
func (gm *groupMember) Close() {
	if gm.closed.Swap(true) {
		return
	}
	gm.flow.Close()
}
