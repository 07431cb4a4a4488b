package flash

import (
	"context"
	"fmt"
	"sync"
	"time"

	"nimbus/core"
	"nimbus/rtmfp"
	"nimbus/rtmfp/flash/message"
)

// Deadlines of the media a client sends directly to peers (the server uses
// its Config for what it relays).
const (
	directAudioDeadline = time.Second
	directVideoDeadline = 2 * time.Second
)

// Packet is one message a playing stream received.
type Packet struct {
	// Type is message.TypeAudio, TypeVideo, TypeDataAMF0 or TypeDataAMF3.
	Type message.Type
	Time uint32
	// Payload is the FLV tag body of audio and video, and the AMF body of
	// data messages (without the AMF3 format byte).
	Payload []byte
	// Handler and Args are the decoded data message (NetStream.send).
	Handler string
	Args    []any
}

// Stream is a NetStream of a client: created on the server with
// NewStream, it publishes or plays through the server, publishes directly
// to peers (PublishDirect) or plays a peer's direct publication
// (PlayPeer).
type Stream struct {
	c        *Client
	id       uint32
	flow     *rtmfp.SendFlow // to the server
	packets  chan Packet
	statuses chan message.Status
	dropped  dropCounter

	mu            sync.Mutex
	publishing    bool
	playing       bool
	onStatus      func(message.Status)
	directName    string
	onPeerConnect func(core.PeerID) bool
	peers         map[*directServe]struct{}
	peerFlow      *rtmfp.SendFlow // our play flow to a publishing peer
	peerSession   *clientSession
	closed        bool
}

// NewStream creates a NetStream on the server (createStream).
func (c *Client) NewStream(ctx context.Context) (*Stream, error) {
	res, err := c.call(ctx, message.Command{AMF3: true, Name: message.CommandCreateStream})
	if err != nil {
		return nil, opError("createStream", err)
	}
	id, ok := streamIDArg(res)
	if !ok {
		return nil, opError("createStream", fmt.Errorf("%w: %v", ErrBadAnswer, res))
	}
	c.mu.Lock()
	server, assoc := c.server, c.ncReturn
	c.mu.Unlock()
	// Our stream flows are associated to the server's NetConnection return
	// flow, as Flash and librtmfp do.
	flow, err := server.OpenFlow(message.TCMetadata{StreamID: uint64(id)}.Append(nil), assoc)
	if err != nil {
		return nil, opError("createStream", err)
	}
	st := &Stream{
		c:        c,
		id:       id,
		flow:     flow,
		packets:  make(chan Packet, c.qlen),
		statuses: make(chan message.Status, 64),
		peers:    make(map[*directServe]struct{}),
	}
	cs := c.sessionOf(server)
	cs.expect(flow.ID(), st)
	cs.expectStream(uint64(id), st)
	return st, nil
}

// ID is the stream's number on the server.
func (st *Stream) ID() uint32 { return st.id }

// OnStatus registers fn for the stream's status messages; it runs on the
// client's dispatch goroutine.
func (st *Stream) OnStatus(fn func(message.Status)) {
	st.mu.Lock()
	st.onStatus = fn
	st.mu.Unlock()
}

// Dropped counts received packets dropped because nobody read them fast
// enough (the buffer holds Dialer.QueueLength packets).
func (st *Stream) Dropped() uint64 { return st.dropped.get() }

// Publish publishes the stream under name through the server and waits for
// NetStream.Publish.Start; a refusal is a *StatusError
// (NetStream.Publish.BadName).
func (st *Stream) Publish(ctx context.Context, name string) error {
	st.drainStatuses()
	if err := st.command(st.flow, message.CommandPublish, name, "live"); err != nil {
		return opError("publish", err)
	}
	if err := st.waitStatus(ctx, "NetStream.Publish.Start"); err != nil {
		return opError("publish", err)
	}
	st.mu.Lock()
	st.publishing = true
	st.mu.Unlock()
	return nil
}

// Play plays the publication name through the server and waits for
// NetStream.Play.Start; received messages are then read with Receive. A
// refusal is a *StatusError (NetStream.Play.Failed).
func (st *Stream) Play(ctx context.Context, name string) error {
	st.drainStatuses()
	if err := st.command(st.flow, message.CommandPlay, name); err != nil {
		return opError("play", err)
	}
	if err := st.waitStatus(ctx, "NetStream.Play.Start"); err != nil {
		return opError("play", err)
	}
	st.mu.Lock()
	st.playing = true
	st.mu.Unlock()
	return nil
}

// ReceiveAudio and ReceiveVideo mute or unmute a track of what the stream
// plays through the server.
func (st *Stream) ReceiveAudio(on bool) error {
	return opError("receiveAudio", st.command(st.flow, message.CommandReceiveAudio, on))
}

// ReceiveVideo: see ReceiveAudio.
func (st *Stream) ReceiveVideo(on bool) error {
	return opError("receiveVideo", st.command(st.flow, message.CommandReceiveVideo, on))
}

// PublishDirect publishes the stream to peers directly
// (NetStream.DIRECT_CONNECTIONS): players reach it with PlayPeer using our
// peer ID. onPeerConnect decides for each player (Flash's onPeerConnect);
// nil accepts everyone. It runs on the client's dispatch goroutine.
func (st *Stream) PublishDirect(name string, onPeerConnect func(peer core.PeerID) bool) error {
	c := st.c
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.direct[name]; ok {
		return opError("publish", ErrNameInUse)
	}
	c.direct[name] = st
	st.mu.Lock()
	st.directName, st.onPeerConnect = name, onPeerConnect
	st.mu.Unlock()
	return nil
}

// PeerCount is the number of peers playing the stream's direct
// publication.
func (st *Stream) PeerCount() int {
	st.mu.Lock()
	defer st.mu.Unlock()
	return len(st.peers)
}

// PlayPeer plays name from the peer's direct publication: the session with
// the peer is introduced by the server (or reused), then the play request
// goes to the peer and media comes straight from it.
func (st *Stream) PlayPeer(ctx context.Context, peer core.PeerID, name string) error {
	c := st.c
	s, err := c.peerSession(ctx, peer)
	if err != nil {
		return opError("peer", err)
	}
	cs := c.sessionOf(s)
	md := message.TCMetadata{StreamID: message.DirectStreamBase + uint64(st.id)}.Append(nil)
	flow, err := s.OpenFlow(md, 0)
	if err != nil {
		return opError("play", err)
	}
	cs.expect(flow.ID(), st)
	st.mu.Lock()
	old := st.peerFlow
	st.peerFlow, st.peerSession = flow, cs
	st.mu.Unlock()
	if old != nil {
		old.Close()
	}
	st.drainStatuses()
	if err := st.command(flow, message.CommandPlay, name); err != nil {
		return opError("play", err)
	}
	if err := st.waitStatus(ctx, "NetStream.Play.Start"); err != nil {
		return opError("play", err)
	}
	st.mu.Lock()
	st.playing = true
	st.mu.Unlock()
	return nil
}

// peerSession returns our session with peer, opening it through the server
// when there is none.
func (c *Client) peerSession(ctx context.Context, peer core.PeerID) (*rtmfp.Session, error) {
	c.mu.Lock()
	s, server := c.peers[peer], c.server
	c.mu.Unlock()
	if s != nil {
		return s, nil
	}
	s, err := c.ep.DialPeer(ctx, server, [32]byte(peer))
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.peers[peer] = s
	c.mu.Unlock()
	return s, nil
}

// Send sends a data message (NetStream.send) to the stream's audience:
// through the server when publishing there, and to every direct peer.
func (st *Stream) Send(handler string, args ...any) error {
	b, err := message.Data{Handler: handler, Args: args}.Append(nil)
	if err != nil {
		return opError("send", err)
	}
	return opError("send", st.fanOut(b, func(d *directServe, msg []byte) error { return d.writeData(msg) }))
}

// WriteAudio publishes one audio message (an FLV audio tag body).
func (st *Stream) WriteAudio(time uint32, payload []byte) error {
	b := message.Message{Type: message.TypeAudio, Time: time, Payload: payload}.Append(nil)
	return opError("audio", st.fanOut(b, func(d *directServe, msg []byte) error { return d.writeMedia(message.TypeAudio, msg) }))
}

// WriteVideo publishes one video message (an FLV video tag body).
func (st *Stream) WriteVideo(time uint32, payload []byte) error {
	b := message.Message{Type: message.TypeVideo, Time: time, Payload: payload}.Append(nil)
	return opError("video", st.fanOut(b, func(d *directServe, msg []byte) error { return d.writeMedia(message.TypeVideo, msg) }))
}

// fanOut writes msg to the server (when publishing there) and to each
// direct peer, each flow getting its own copy.
func (st *Stream) fanOut(msg []byte, peer func(*directServe, []byte) error) error {
	st.mu.Lock()
	publishing, direct := st.publishing, st.directName != ""
	peers := make([]*directServe, 0, len(st.peers))
	for d := range st.peers {
		peers = append(peers, d)
	}
	st.mu.Unlock()
	if !publishing && !direct {
		return ErrNotPublishing
	}
	for _, d := range peers {
		peer(d, append([]byte(nil), msg...))
	}
	if publishing {
		return st.flow.Write(msg)
	}
	return nil
}

// Receive returns the next message the stream played.
func (st *Stream) Receive(ctx context.Context) (Packet, error) {
	select {
	case p := <-st.packets:
		return p, nil
	case <-ctx.Done():
		return Packet{}, ctx.Err()
	case <-st.c.done:
		select {
		case p := <-st.packets:
			return p, nil
		default:
		}
		return Packet{}, ErrClosed
	}
}

// Close stops publishing and playing, and deletes the stream on the server.
func (st *Stream) Close() error {
	c := st.c
	st.mu.Lock()
	if st.closed {
		st.mu.Unlock()
		return nil
	}
	st.closed = true
	name := st.directName
	peers := st.peers
	st.peers = make(map[*directServe]struct{})
	peerFlow := st.peerFlow
	st.mu.Unlock()
	if name != "" {
		c.mu.Lock()
		if c.direct[name] == st {
			delete(c.direct, name)
		}
		c.mu.Unlock()
	}
	for d := range peers {
		d.stop()
	}
	if peerFlow != nil {
		st.command(peerFlow, message.CommandCloseStream)
		peerFlow.Close()
	}
	st.command(st.flow, message.CommandCloseStream)
	err := c.invoke(message.Command{AMF3: true, Name: message.CommandDeleteStream, Args: []any{float64(st.id)}})
	st.flow.Close()
	return opError("closeStream", err)
}

// command writes a NetStream command (transaction 0) on flow.
func (st *Stream) command(flow *rtmfp.SendFlow, name string, args ...any) error {
	b, err := message.Command{AMF3: true, Name: name, Args: args}.Append(nil)
	if err != nil {
		return err
	}
	return flow.Write(b)
}

func (st *Stream) drainStatuses() {
	for {
		select {
		case <-st.statuses:
		default:
			return
		}
	}
}

// waitStatus waits for the status code, or fails on an error status.
func (st *Stream) waitStatus(ctx context.Context, code string) error {
	for {
		select {
		case s := <-st.statuses:
			if s.Code == code {
				return nil
			}
			if s.Level == message.LevelError {
				return &StatusError{Code: s.Code, Description: s.Description}
			}
		case <-ctx.Done():
			return ctx.Err()
		case <-st.c.done:
			return ErrClosed
		}
	}
}

// onMessage receives what the server (or the publishing peer) sends for
// the stream: statuses and the played media.
func (st *Stream) onMessage(cs *clientSession, f *rtmfp.RecvFlow, msg []byte) {
	m, _, err := message.ParseMessage(msg)
	if err != nil {
		return
	}
	switch m.Type {
	case message.TypeCommandAMF0, message.TypeCommandAMF3:
		cmd, _, err := message.ParseCommand(msg)
		if err != nil || cmd.Name != message.CommandOnStatus {
			return
		}
		// The status object follows the null command object; a librtmfp
		// publisher leaves the command object out and sends the status in
		// its place.
		info := cmd.Object
		if len(cmd.Args) > 0 {
			info = cmd.Args[0]
		}
		s, ok := message.ParseStatus(info)
		if !ok {
			return
		}
		select {
		case st.statuses <- s:
		default:
		}
		st.mu.Lock()
		fn := st.onStatus
		st.mu.Unlock()
		if fn != nil {
			st.c.post(func() { fn(s) })
		}
	case message.TypeDataAMF0, message.TypeDataAMF3:
		d, _, err := message.ParseData(msg)
		if err != nil || d.Handler == "|RtmpSampleAccess" {
			return
		}
		body, _, _ := message.DataBody(m)
		st.deliver(Packet{Type: m.Type, Time: m.Time, Payload: append([]byte(nil), body...), Handler: d.Handler, Args: d.Args})
	case message.TypeAudio, message.TypeVideo:
		st.deliver(Packet{Type: m.Type, Time: m.Time, Payload: append([]byte(nil), m.Payload...)})
	}
}

func (st *Stream) deliver(p Packet) {
	select {
	case st.packets <- p:
	default:
		st.dropped.add()
		st.c.dropped.add()
	}
}

func (st *Stream) onEnd(*clientSession, *rtmfp.RecvFlow) {}

func (st *Stream) addPeer(d *directServe) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.closed {
		return false
	}
	st.peers[d] = struct{}{}
	return true
}

func (st *Stream) removePeer(d *directServe) {
	st.mu.Lock()
	delete(st.peers, d)
	st.mu.Unlock()
}

// directServe serves one peer's play request for a direct publication: the
// publisher's side of a DIRECT_CONNECTIONS NetStream. Its flows are
// associated to the player's flow and carry the same metadata (as librtmfp
// does): data (statuses and data messages), audio and video.
type directServe struct {
	mu     sync.Mutex
	st     *Stream
	data   *rtmfp.SendFlow
	audio  *rtmfp.SendFlow
	video  *rtmfp.SendFlow
	asked  bool
	closed bool
}

func (d *directServe) onMessage(cs *clientSession, f *rtmfp.RecvFlow, msg []byte) {
	cmd, _, err := message.ParseCommand(msg)
	if err != nil {
		return
	}
	switch cmd.Name {
	case message.CommandPlay:
		d.mu.Lock()
		asked := d.asked
		d.asked = true
		d.mu.Unlock()
		if asked {
			return
		}
		name, _ := firstString(cmd.Args)
		c := cs.c
		c.mu.Lock()
		st := c.direct[name]
		c.mu.Unlock()
		peer := core.PeerID(cs.s.FarPeerID())
		md := append([]byte(nil), f.Metadata()...)
		tc, _, _ := message.ParseTCMetadata(md)
		in := f.ID()
		// The decision may run application code: off the session loop.
		c.post(func() { d.answer(cs, st, peer, name, md, uint32(tc.StreamID), in) })
	case message.CommandCloseStream:
		d.stop()
	}
}

func (d *directServe) onEnd(*clientSession, *rtmfp.RecvFlow) { d.stop() }

// answer runs on the dispatch goroutine: ask the publication's
// onPeerConnect, then start the stream for the peer or refuse it.
func (d *directServe) answer(cs *clientSession, st *Stream, peer core.PeerID, name string, md []byte, streamID uint32, in uint64) {
	accept := false
	if st != nil {
		st.mu.Lock()
		fn := st.onPeerConnect
		st.mu.Unlock()
		accept = fn == nil || fn(peer)
	}
	data, err := cs.s.OpenFlow(md, in)
	if err != nil {
		return
	}
	writeStatus := func(level, code, desc string) {
		s := message.Status{Level: level, Code: code, Description: desc}
		if b, err := (message.Command{Name: message.CommandOnStatus, Args: []any{s.Object()}}).Append(nil); err == nil {
			data.Write(b)
		}
	}
	if !accept {
		if st == nil {
			writeStatus(message.LevelError, "NetStream.Play.StreamNotFound", fmt.Sprintf("%s not found", name))
		} else {
			writeStatus(message.LevelError, "NetStream.Play.Failed", fmt.Sprintf("Not authorized to play %s", name))
		}
		data.Close()
		return
	}
	audio, err1 := cs.s.OpenFlow(md, in)
	video, err2 := cs.s.OpenFlow(md, in)
	if err1 != nil || err2 != nil {
		data.Close()
		return
	}
	audio.SetTimeCritical(true)
	video.SetTimeCritical(true)
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		data.Close()
		audio.Close()
		video.Close()
		return
	}
	d.st, d.data, d.audio, d.video = st, data, audio, video
	d.mu.Unlock()
	if !st.addPeer(d) {
		d.stop()
		return
	}
	data.Write(message.StreamBegin(streamID).Append(nil))
	writeStatus(message.LevelStatus, "NetStream.Play.Reset", fmt.Sprintf("Playing and resetting %s", name))
	writeStatus(message.LevelStatus, "NetStream.Play.Start", fmt.Sprintf("Started playing %s", name))
	if b, err := (message.Data{Handler: "|RtmpSampleAccess", Args: []any{true, true}}).Append(nil); err == nil {
		data.Write(b)
	}
}

func (d *directServe) writeData(msg []byte) error {
	d.mu.Lock()
	f := d.data
	d.mu.Unlock()
	if f == nil {
		return nil
	}
	return f.Write(msg)
}

func (d *directServe) writeMedia(t message.Type, msg []byte) error {
	d.mu.Lock()
	f, deadline := d.audio, directAudioDeadline
	if t == message.TypeVideo {
		f, deadline = d.video, directVideoDeadline
	}
	d.mu.Unlock()
	if f == nil {
		return nil
	}
	return f.WriteUnreliable(msg, deadline)
}

// stop ends the service of this peer.
func (d *directServe) stop() {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.closed = true
	st := d.st
	flows := []*rtmfp.SendFlow{d.data, d.audio, d.video}
	d.mu.Unlock()
	if st != nil {
		st.removePeer(d)
	}
	for _, f := range flows {
		if f != nil {
			f.Close()
		}
	}
}
