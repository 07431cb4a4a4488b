package core

import (
	"fmt"
	"time"

	"nimbus/core/amf"
)

// Publication is a named stream: published by a client or by a script, and
// played by listeners. A publication exists while it runs or while listeners
// wait for it. Loop only.
type Publication struct {
	srv  *Server
	Name string
	// Data belongs to the application (the script host's Lua object).
	Data any
	// Watched makes every packet reach Events.OnMedia (scripts that define
	// publication:onAudio/onVideo/onData set it).
	Watched bool

	running   bool
	publisher *Client // nil for script publications
	handle    *Publishing
	listeners []*Listener

	// Replayed to late joiners before any media: metadata (@setDataFrame)
	// and the codec configurations (AAC / AVC / HEVC sequence headers).
	metadata    *MediaPacket
	properties  []amf.Member
	audioConfig *MediaPacket
	videoConfig *MediaPacket

	lastTime uint32
	AudioQoS TrackStats
	VideoQoS TrackStats
	DataQoS  TrackStats
}

// TrackStats counts what a publication received on one track.
type TrackStats struct {
	Packets       uint64
	Bytes         uint64
	DroppedFrames uint64
	// LastPacket is when the last packet arrived (zero before the first).
	LastPacket time.Time

	// Bytes received in the current and in the previous wall-clock second
	// (for ByteRate, MonaServer's publication QoS byteRate).
	curSecond       int64
	curBytes, prevB uint64
}

// count adds one packet of n bytes received at now.
func (t *TrackStats) count(now time.Time, n int) {
	t.Packets++
	t.Bytes += uint64(n)
	t.LastPacket = now
	sec := now.Unix()
	if sec != t.curSecond {
		if sec == t.curSecond+1 {
			t.prevB = t.curBytes
		} else {
			t.prevB = 0
		}
		t.curSecond, t.curBytes = sec, 0
	}
	t.curBytes += uint64(n)
}

// ByteRate is the bytes per second received during the last complete
// second before now (0 when the track was silent).
func (t TrackStats) ByteRate(now time.Time) float64 {
	switch now.Unix() {
	case t.curSecond:
		return float64(t.prevB)
	case t.curSecond + 1:
		return float64(t.curBytes)
	}
	return 0
}

// Running reports whether the publication has a publisher.
func (p *Publication) Running() bool { return p.running }

// Publisher is the publishing client, nil for a script publication.
func (p *Publication) Publisher() *Client { return p.publisher }

// Listeners returns the current listeners; the slice must not be modified.
func (p *Publication) Listeners() []*Listener { return p.listeners }

// LastTime is the timestamp of the last media packet.
func (p *Publication) LastTime() uint32 { return p.lastTime }

// Properties is the metadata set with @setDataFrame, nil when none.
func (p *Publication) Properties() []amf.Member { return p.properties }

// Publishing is a client's handle on its publication request.
type Publishing struct {
	client *Client
	name   string
	sink   Publisher
	pub    *Publication // set once accepted
	ended  bool
}

// Publication returns the publication once the request was accepted (loop
// only).
func (h *Publishing) Publication() *Publication { return h.pub }

// Publish asks to publish name for the client. Safe from any goroutine. The
// answer arrives through sink.Started or sink.Failed.
func (s *Server) Publish(c *Client, name string, sink Publisher) (*Publishing, error) {
	h := &Publishing{client: c, name: name, sink: sink}
	if !s.Post(func() { s.publish(h) }) {
		return nil, ErrBusy
	}
	return h, nil
}

func (s *Server) publish(h *Publishing) {
	c := h.client
	if !c.Accepted() || h.ended {
		return
	}
	p := s.publications[h.name]
	if p != nil && p.running {
		h.sink.Failed("NetStream.Publish.BadName", fmt.Sprintf("%s is already publishing", h.name))
		return
	}
	created := p == nil
	if created {
		p = &Publication{srv: s, Name: h.name}
	}
	p.publisher, p.handle, p.running = c, h, true
	if err := s.events.OnPublish(c, p); err != nil {
		p.publisher, p.handle, p.running = nil, nil, false
		desc := err.Error()
		if err == ErrRefused {
			desc = fmt.Sprintf("Not allowed to publish %s", h.name)
		}
		h.sink.Failed("NetStream.Publish.BadName", desc)
		return
	}
	if created {
		s.publications[h.name] = p
	}
	h.pub = p
	c.publishings = append(c.publishings, h)
	h.sink.Started(p)
	for _, l := range p.listeners {
		l.sub.PublishNotify(p)
	}
}

// PushMedia relays a packet of the client's publication. Safe from any
// goroutine; the packet is dropped and counted when the queue is full.
func (s *Server) PushMedia(h *Publishing, pkt *MediaPacket) {
	if !s.q.Push(func() {
		if h.pub != nil && !h.ended {
			h.pub.Push(pkt)
		}
	}) {
		s.stats.MediaDropped.Add(1)
	}
}

// FlushMedia ends a batch of packets of the client's publication.
func (s *Server) FlushMedia(h *Publishing) {
	s.Post(func() {
		if h.pub != nil && !h.ended {
			h.pub.Flush()
		}
	})
}

// Unpublish stops the client's publication. Safe from any goroutine.
func (s *Server) Unpublish(h *Publishing) {
	s.mustPost(func() { s.unpublish(h, "", "") })
}

func (s *Server) unpublish(h *Publishing, code, description string) {
	if h.ended {
		return
	}
	h.ended = true
	c := h.client
	for i, x := range c.publishings {
		if x == h {
			c.publishings = append(c.publishings[:i], c.publishings[i+1:]...)
			break
		}
	}
	p := h.pub
	if p == nil {
		return
	}
	if code != "" {
		h.sink.Stopped(code, description)
	}
	s.stopPublication(p)
	s.events.OnUnpublish(c, p)
}

// stopPublication marks p as not running, tells its listeners, and forgets
// it when nobody waits for it.
func (s *Server) stopPublication(p *Publication) {
	p.running = false
	p.publisher, p.handle = nil, nil
	p.metadata, p.properties, p.audioConfig, p.videoConfig = nil, nil, nil, nil
	for _, l := range p.listeners {
		l.sub.UnpublishNotify(p)
	}
	if len(p.listeners) == 0 && s.publications[p.Name] == p {
		delete(s.publications, p.Name)
	}
}

// PublishLocal starts a script publication (MonaServer's mona:publish).
// Loop only. It returns nil when a publication of that name is running.
func (s *Server) PublishLocal(name string) *Publication {
	p := s.publications[name]
	if p != nil && p.running {
		return nil
	}
	if p == nil {
		p = &Publication{srv: s, Name: name}
		s.publications[name] = p
	}
	p.running = true
	for _, l := range p.listeners {
		l.sub.PublishNotify(p)
	}
	return p
}

// Close ends the publication: a script publication is unpublished; a
// client's publication is stopped and its publisher told with
// NetStream.Unpublish.Success. Loop only.
func (p *Publication) Close() {
	if !p.running {
		return
	}
	if p.handle != nil {
		p.srv.unpublish(p.handle, "NetStream.Unpublish.Success", fmt.Sprintf("%s is now unpublished", p.Name))
		return
	}
	p.srv.stopPublication(p)
}

// Publication returns the publication called name, nil if none (loop only).
func (s *Server) Publication(name string) *Publication { return s.publications[name] }

// EachPublication calls fn for each publication until fn returns false
// (loop only).
func (s *Server) EachPublication(fn func(*Publication) bool) {
	for _, p := range s.publications {
		if !fn(p) {
			return
		}
	}
}

// Push relays one packet to every listener (loop only). Codec configuration
// packets and @setDataFrame metadata are kept for late joiners.
func (p *Publication) Push(pkt *MediaPacket) {
	if !p.running {
		return
	}
	keyframe := false
	now := time.Now()
	switch pkt.Kind {
	case MediaAudio:
		p.AudioQoS.count(now, len(pkt.Payload))
		if isAudioConfig(pkt.Payload) {
			p.audioConfig = pkt
		}
		p.lastTime = pkt.Time
	case MediaVideo:
		p.VideoQoS.count(now, len(pkt.Payload))
		if isVideoConfig(pkt.Payload) {
			p.videoConfig = pkt
		}
		keyframe = len(pkt.Payload) > 0 && pkt.Payload[0]>>4 == 1
		p.lastTime = pkt.Time
	case MediaData:
		p.DataQoS.count(now, len(pkt.Payload))
		switch handler, _ := dataHandler(pkt); handler {
		case "@setDataFrame":
			meta, props, err := metadataPacket(pkt)
			if err != nil {
				p.srv.log.Debug("core: bad @setDataFrame", "publication", p.Name, "err", err)
				return
			}
			p.metadata, p.properties = meta, props
			for _, l := range p.listeners {
				l.deliver(meta, false)
			}
			p.propertiesChanged()
			return
		case "@clearDataFrame":
			p.metadata, p.properties = nil, nil
			p.propertiesChanged()
			return
		}
	}
	for _, l := range p.listeners {
		l.deliver(pkt, keyframe)
	}
	if p.Watched {
		p.srv.events.OnMedia(p, pkt)
	}
}

// propertiesChanged tells a watching application that the metadata was set
// or cleared.
func (p *Publication) propertiesChanged() {
	if w, ok := p.srv.events.(PublicationWatcher); ok && p.Watched {
		w.OnProperties(p)
	}
}

// Flush ends a batch of packets for every listener (loop only).
func (p *Publication) Flush() {
	for _, l := range p.listeners {
		l.sub.Flush()
	}
	if w, ok := p.srv.events.(PublicationWatcher); ok && p.Watched && p.running {
		w.OnFlush(p)
	}
}

// SetProperties replaces the publication's metadata, as @setDataFrame does,
// and sends it to the listeners (loop only).
func (p *Publication) SetProperties(props []amf.Member) error {
	e := amf.NewEncoder(nil)
	if err := e.WriteAMF0("onMetaData"); err != nil {
		return err
	}
	if err := e.WriteAMF0(amf.NewECMAArray(props...)); err != nil {
		return fmt.Errorf("core: publication properties: %w", err)
	}
	meta := &MediaPacket{Kind: MediaData, Payload: e.Bytes(), Time: p.lastTime}
	p.metadata, p.properties = meta, props
	for _, l := range p.listeners {
		l.deliver(meta, false)
	}
	return nil
}

// ClearProperties removes the metadata (@clearDataFrame).
func (p *Publication) ClearProperties() { p.metadata, p.properties = nil, nil }

// isAudioConfig recognises an AAC sequence header (FLV sound format 10,
// AACPacketType 0).
func isAudioConfig(b []byte) bool { return len(b) > 1 && b[0]>>4 == 10 && b[1] == 0 }

// isVideoConfig recognises an AVC or HEVC sequence header (FLV codec 7 or
// 12, AVCPacketType 0).
func isVideoConfig(b []byte) bool {
	return len(b) > 1 && (b[0]&0x0f == 7 || b[0]&0x0f == 12) && b[1] == 0
}

// dataHandler reads the handler name that starts a data payload.
func dataHandler(pkt *MediaPacket) (string, int) {
	b := pkt.Payload
	if pkt.AMF3 && len(b) > 0 {
		b = b[1:]
	}
	d := amf.NewDecoder(b)
	v, err := d.ReadAMF0()
	if err != nil {
		return "", 0
	}
	s, _ := v.(string)
	return s, d.Offset()
}

// metadataPacket turns "@setDataFrame", "onMetaData", {..} into the
// "onMetaData", {..} packet that listeners receive, and returns the metadata
// members.
func metadataPacket(pkt *MediaPacket) (*MediaPacket, []amf.Member, error) {
	b := pkt.Payload
	if pkt.AMF3 && len(b) > 0 {
		b = b[1:]
	}
	_, n := dataHandler(&MediaPacket{Payload: b})
	rest := b[n:]
	vals, err := amf.DecodeAll0(rest)
	if err != nil {
		return nil, nil, err
	}
	var props []amf.Member
	for _, v := range vals {
		switch o := v.(type) {
		case *amf.Object:
			props = o.Members
		case *amf.ECMAArray:
			props = o.Entries
		}
	}
	return &MediaPacket{Kind: MediaData, Time: pkt.Time, Payload: rest}, props, nil
}
