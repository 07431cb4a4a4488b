package flash

import (
	"errors"
	"fmt"
	"sync"

	"nimbus/core"
	"nimbus/rtmfp"
	"nimbus/rtmfp/flash/message"
)

// netStream is one NetStream of a client, created by createStream. The
// session loop handles the commands and media the client sends on the
// stream's flows; the core loop writes statuses and media on the server's
// flows for the stream. The send flows are shared, under mu.
type netStream struct {
	sess *serverSession
	id   uint32

	// Session loop only.
	publishing   *core.Publishing
	pubName      string
	subscription *core.Subscription
	subName      string
	receiveAudio bool
	receiveVideo bool
	paused       bool
	deleted      bool // deleteStream: late messages on its flows are ignored

	// assoc is the client flow the server's flows for this stream are
	// associated to: the client's NetConnection flow (rtmfp-cpp accepts
	// only that, rtmfp-protocol.md §6.3 says Flash accepts it too), or the
	// flow where the stream's first command arrived when there is none.
	// Written on the session loop before any request reaches core.
	assoc uint64

	mu      sync.Mutex
	closed  bool
	control *rtmfp.SendFlow // statuses, user control, data messages
	audio   *rtmfp.SendFlow
	video   *rtmfp.SendFlow
}

func newNetStream(ss *serverSession, id uint32) *netStream {
	return &netStream{sess: ss, id: id, receiveAudio: true, receiveVideo: true}
}

func (st *netStream) metadata() []byte {
	return message.TCMetadata{StreamID: uint64(st.id)}.Append(nil)
}

// flow returns the send flow *slot, opening it on first use. Safe from any
// goroutine.
func (st *netStream) flow(slot **rtmfp.SendFlow) (*rtmfp.SendFlow, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return nil, ErrWriterClosed
	}
	if *slot == nil {
		f, err := st.sess.s.OpenFlow(st.metadata(), st.assoc)
		if err != nil {
			return nil, err
		}
		// Live audio and video are time critical (TC flag), as Flash
		// marks them.
		f.SetTimeCritical(slot == &st.audio || slot == &st.video)
		*slot = f
	}
	return *slot, nil
}

// closeFlows ends the stream's flows (FIN after what is queued).
func (st *netStream) closeFlows() {
	st.mu.Lock()
	st.closed = true
	flows := []*rtmfp.SendFlow{st.control, st.audio, st.video}
	st.control, st.audio, st.video = nil, nil, nil
	st.mu.Unlock()
	for _, f := range flows {
		if f != nil {
			f.Close()
		}
	}
}

// writeControl sends one message on the control flow, reliably.
func (st *netStream) writeControl(b []byte) error {
	f, err := st.flow(&st.control)
	if err != nil {
		return err
	}
	return f.Write(b)
}

func (st *netStream) writeStatus(level, code, description string) error {
	s := message.Status{Level: level, Code: code, Description: description}
	b, err := message.Command{Name: message.CommandOnStatus, Args: []any{s.Object()}}.Append(nil)
	if err != nil {
		return err
	}
	return st.writeControl(b)
}

// --- session loop ---

func (st *netStream) onMessage(f *rtmfp.RecvFlow, msg []byte) {
	ss := st.sess
	if st.deleted {
		return
	}
	m, _, err := message.ParseMessage(msg)
	if err != nil {
		ss.badMessage("netstream", err)
		return
	}
	switch m.Type {
	case message.TypeCommandAMF0, message.TypeCommandAMF3:
		cmd, _, err := message.ParseCommand(msg)
		if err != nil {
			ss.badMessage("netstream command", err)
			return
		}
		if st.assoc == 0 {
			st.assoc = ss.ncFlow
			if st.assoc == 0 {
				st.assoc = f.ID()
			}
		}
		st.onCommand(cmd)
	case message.TypeAudio, message.TypeVideo, message.TypeDataAMF0, message.TypeDataAMF3:
		if st.publishing == nil {
			return
		}
		pkt := &core.MediaPacket{Time: m.Time, Payload: append([]byte(nil), m.Payload...)}
		switch m.Type {
		case message.TypeAudio:
			pkt.Kind = core.MediaAudio
		case message.TypeVideo:
			pkt.Kind = core.MediaVideo
		case message.TypeDataAMF3:
			pkt.Kind, pkt.AMF3 = core.MediaData, true
		default:
			pkt.Kind = core.MediaData
		}
		ss.srv.core.PushMedia(st.publishing, pkt)
	}
	// User control (Flow Sync from publishers) needs no action.
}

func (st *netStream) onCommand(cmd message.Command) {
	ss := st.sess
	switch cmd.Name {
	case message.CommandPublish:
		st.stopPlaying(false)
		st.stopPublishing(false)
		name, _ := firstString(cmd.Args)
		if name == "" {
			return // publish(null) stops publishing
		}
		h, err := ss.srv.core.Publish(ss.client, name, &publisher{st: st, name: name})
		if err != nil {
			ss.shedClient("publish")
			return
		}
		st.publishing, st.pubName = h, name
	case message.CommandPlay:
		st.stopPublishing(false)
		st.stopPlaying(false)
		name, _ := firstString(cmd.Args)
		if name == "" {
			return // play(false) / play(null) stops playing
		}
		h, err := ss.srv.core.Subscribe(ss.client, name, &subscriber{st: st, name: name})
		if err != nil {
			ss.shedClient("play")
			return
		}
		st.subscription, st.subName = h, name
		st.receiveAudio, st.receiveVideo, st.paused = true, true, false
	case message.CommandCloseStream:
		st.stopPublishing(true)
		st.stopPlaying(true)
	case message.CommandReceiveAudio, message.CommandReceiveVideo:
		on, ok := firstBool(cmd.Args)
		if !ok {
			return
		}
		if cmd.Name == message.CommandReceiveAudio {
			st.receiveAudio = on
		} else {
			st.receiveVideo = on
		}
		st.applyReceive()
	case "pause":
		on, ok := firstBool(cmd.Args)
		if !ok || st.subscription == nil || on == st.paused {
			return
		}
		st.paused = on
		st.applyReceive()
		code, desc := "NetStream.Unpause.Notify", fmt.Sprintf("%s is now unpaused", st.subName)
		if on {
			code, desc = "NetStream.Pause.Notify", fmt.Sprintf("%s is now paused", st.subName)
		}
		st.postStatus(message.LevelStatus, code, desc, false)
	}
	// seek and the rest mean nothing for live streams.
}

func (st *netStream) applyReceive() {
	if st.subscription == nil {
		return
	}
	st.sess.srv.core.SetReceive(st.subscription, st.receiveAudio && !st.paused, st.receiveVideo && !st.paused)
}

// stopPublishing ends the stream's publication; with notify, the client
// gets NetStream.Unpublish.Success.
func (st *netStream) stopPublishing(notify bool) {
	if st.publishing == nil {
		return
	}
	st.sess.srv.core.Unpublish(st.publishing)
	if notify {
		st.postStatus(message.LevelStatus, "NetStream.Unpublish.Success",
			fmt.Sprintf("%s is now unpublished", st.pubName), false)
	}
	st.publishing, st.pubName = nil, ""
}

// stopPlaying ends the stream's subscription; with notify, the client gets
// NetStream.Play.Stop and Stream EOF.
func (st *netStream) stopPlaying(notify bool) {
	if st.subscription == nil {
		return
	}
	st.sess.srv.core.Unsubscribe(st.subscription)
	if notify {
		st.postStatus(message.LevelStatus, "NetStream.Play.Stop",
			fmt.Sprintf("Stopped playing %s", st.subName), true)
	}
	st.subscription, st.subName = nil, ""
}

// postStatus writes a status from the core loop, after the requests already
// queued there, so that it follows the statuses those produce (e.g.
// Publish.Start before Unpublish.Success). When the loop is too busy the
// status is not sent.
func (st *netStream) postStatus(level, code, description string, eof bool) {
	st.sess.srv.core.Post(func() {
		st.writeStatus(level, code, description)
		if eof {
			st.writeControl(message.StreamEOF(st.id).Append(nil))
		}
	})
}

// teardown ends everything of the stream (deleteStream).
func (st *netStream) teardown() {
	st.deleted = true
	st.stopPublishing(false)
	st.stopPlaying(false)
	st.closeFlows()
}

func firstString(args []any) (string, bool) {
	if len(args) == 0 {
		return "", false
	}
	s, ok := args[0].(string)
	return s, ok
}

func firstBool(args []any) (bool, bool) {
	if len(args) == 0 {
		return false, false
	}
	b, ok := args[0].(bool)
	return b, ok
}

// --- core loop ---

// publisher is the core.Publisher of one publish request.
type publisher struct {
	st   *netStream
	name string
}

var _ core.Publisher = (*publisher)(nil)

func (p *publisher) Started(*core.Publication) {
	p.st.writeStatus(message.LevelStatus, "NetStream.Publish.Start", fmt.Sprintf("%s is now published", p.name))
}

func (p *publisher) Failed(code, description string) {
	p.st.writeStatus(message.LevelError, code, description)
}

func (p *publisher) Stopped(code, description string) {
	p.st.writeStatus(message.LevelStatus, code, description)
}

// subscriber is the core.Subscriber of one play request.
type subscriber struct {
	st   *netStream
	name string
	// Core loop only.
	waitKeyframe bool
	audioStats   flowStats
	videoStats   flowStats
}

var _ core.Subscriber = (*subscriber)(nil)

// Started writes the play sequence Flash expects: Stream Begin, Play.Reset,
// Play.Start, then |RtmpSampleAccess granting access to audio and video.
func (s *subscriber) Started(*core.Listener) {
	st := s.st
	st.writeControl(message.StreamBegin(st.id).Append(nil))
	st.writeStatus(message.LevelStatus, "NetStream.Play.Reset", fmt.Sprintf("Playing and resetting %s", s.name))
	st.writeStatus(message.LevelStatus, "NetStream.Play.Start", fmt.Sprintf("Started playing %s", s.name))
	if b, err := (message.Data{Handler: "|RtmpSampleAccess", Args: []any{true, true}}).Append(nil); err == nil {
		st.writeControl(b)
	}
}

func (s *subscriber) Failed(code, description string) {
	s.st.writeStatus(message.LevelError, code, description)
}

func (s *subscriber) PublishNotify(*core.Publication) {
	s.st.writeStatus(message.LevelStatus, "NetStream.Play.PublishNotify", fmt.Sprintf("%s is now published", s.name))
}

func (s *subscriber) UnpublishNotify(*core.Publication) {
	s.st.writeStatus(message.LevelStatus, "NetStream.Play.UnpublishNotify", fmt.Sprintf("%s is now unpublished", s.name))
}

// WriteMedia sends one packet on the track's flow. See the package
// documentation for the delivery policy.
func (s *subscriber) WriteMedia(pkt *core.MediaPacket) {
	st := s.st
	cfg := &st.sess.srv.cfg
	switch pkt.Kind {
	case core.MediaAudio:
		f, err := st.flow(&st.audio)
		if err != nil {
			return
		}
		msg := message.Message{Type: message.TypeAudio, Time: pkt.Time, Payload: pkt.Payload}.Append(nil)
		if message.IsAudioConfig(pkt.Payload) {
			err = f.Write(msg)
		} else {
			err = f.WriteUnreliable(msg, cfg.AudioDeadline)
		}
		s.audioStats.record(len(msg), err)
		if err != nil {
			st.sess.srv.stats.FramesDropped.Add(1)
		}
	case core.MediaVideo:
		f, err := st.flow(&st.video)
		if err != nil {
			return
		}
		config := message.IsVideoConfig(pkt.Payload)
		key := message.IsKeyframe(pkt.Payload)
		if !config && !key && (s.waitKeyframe || f.Buffered() > cfg.VideoQueueLimit) {
			s.waitKeyframe = true
			s.videoStats.recordDrop()
			st.sess.srv.stats.FramesDropped.Add(1)
			return
		}
		msg := message.Message{Type: message.TypeVideo, Time: pkt.Time, Payload: pkt.Payload}.Append(nil)
		if config {
			err = f.Write(msg)
		} else {
			err = f.WriteUnreliable(msg, cfg.VideoDeadline)
		}
		if errors.Is(err, rtmfp.ErrFlowFull) {
			s.waitKeyframe = true
			s.videoStats.recordDrop()
			st.sess.srv.stats.FramesDropped.Add(1)
			return
		}
		s.videoStats.record(len(msg), err)
		if err == nil && key {
			s.waitKeyframe = false
		}
	case core.MediaData:
		t := message.TypeDataAMF0
		if pkt.AMF3 {
			t = message.TypeDataAMF3
		}
		st.writeControl(message.Message{Type: t, Time: pkt.Time, Payload: pkt.Payload}.Append(nil))
	}
}

// Flush is a no-op: the transport sends at the end of each loop iteration.
func (s *subscriber) Flush() {}

// QoS reports the delivery statistics of one track of the subscription
// (MonaServer listener.audioQOS / videoQOS). Core has no way to ask for it
// yet (see NEEDS.md).
func (s *subscriber) QoS(kind core.MediaKind) core.QoS {
	rtt := s.st.sess.s.RTT()
	if kind == core.MediaVideo {
		return s.videoStats.qos(rtt)
	}
	return s.audioStats.qos(rtt)
}
