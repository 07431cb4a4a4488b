package core

import (
	"fmt"
	"strings"
)

// Listener is one client playing one publication. Loop only.
type Listener struct {
	ID          uint64
	Client      *Client
	Publication *Publication
	// Query is the part of the played name after "?", and Parameters its
	// key/value pairs (MonaServer listener.parameters).
	Query      string
	Parameters map[string]string
	// ReceiveAudio and ReceiveVideo mute tracks (NetStream.receiveAudio and
	// receiveVideo).
	ReceiveAudio bool
	ReceiveVideo bool
	// Data belongs to the application.
	Data any

	sub Subscriber
	// waitKeyframe holds video back until a keyframe after the listener
	// (re)enabled video, so that decoders never start on a delta frame.
	waitKeyframe bool
	Delivered    uint64
}

// QoSReporter is implemented by Subscribers that measure delivery per
// track (MonaServer listener.audioQOS / videoQOS).
type QoSReporter interface {
	QoS(kind MediaKind) QoS
}

// QoS reports the listener's delivery statistics for one track; zero when
// the protocol does not measure them (loop only).
func (l *Listener) QoS(kind MediaKind) QoS {
	if r, ok := l.sub.(QoSReporter); ok {
		return r.QoS(kind)
	}
	return QoS{}
}

// Subscription is a client's handle on its request to play a publication.
type Subscription struct {
	client   *Client
	name     string
	query    string
	sub      Subscriber
	listener *Listener
	ended    bool
}

// Listener returns the listener once the request was accepted (loop only).
func (h *Subscription) Listener() *Listener { return h.listener }

// Subscribe asks to play name (which may carry a "?query") for the client.
// Safe from any goroutine. The answer arrives through sub.Started or
// sub.Failed. When nothing publishes name yet, the listener waits and gets
// PublishNotify when a publisher starts.
func (s *Server) Subscribe(c *Client, name string, sub Subscriber) (*Subscription, error) {
	name, query, _ := strings.Cut(name, "?")
	h := &Subscription{client: c, name: name, query: query, sub: sub}
	if !s.Post(func() { s.subscribe(h) }) {
		return nil, ErrBusy
	}
	return h, nil
}

func (s *Server) subscribe(h *Subscription) {
	c := h.client
	if !c.Accepted() || h.ended {
		return
	}
	for _, x := range c.subscriptions {
		if x.name == h.name && x.listener != nil {
			h.sub.Failed("NetStream.Play.Failed", fmt.Sprintf("Already subscribed to %s", h.name))
			return
		}
	}
	p := s.publications[h.name]
	created := p == nil
	if created {
		p = &Publication{srv: s, Name: h.name}
	}
	s.nextListener++
	l := &Listener{
		ID: s.nextListener, Client: c, Publication: p, Query: h.query,
		Parameters: parseQuery(h.query), ReceiveAudio: true, ReceiveVideo: true,
		sub: h.sub, waitKeyframe: true,
	}
	if err := s.events.OnSubscribe(c, l); err != nil {
		desc := err.Error()
		if err == ErrRefused {
			desc = fmt.Sprintf("Not authorized to play %s", h.name)
		}
		h.sub.Failed("NetStream.Play.Failed", desc)
		return
	}
	if created {
		s.publications[h.name] = p
	}
	h.listener = l
	p.listeners = append(p.listeners, l)
	c.subscriptions = append(c.subscriptions, h)
	h.sub.Started(l)
	if p.running {
		l.catchUp()
	}
}

// catchUp sends a late joiner what it needs before live media: metadata,
// then the codec configurations.
func (l *Listener) catchUp() {
	p := l.Publication
	if p.metadata != nil {
		l.sub.WriteMedia(p.metadata)
	}
	if p.audioConfig != nil && l.ReceiveAudio {
		l.sub.WriteMedia(p.audioConfig)
	}
	if p.videoConfig != nil && l.ReceiveVideo {
		l.sub.WriteMedia(p.videoConfig)
	}
}

func (l *Listener) deliver(pkt *MediaPacket, keyframe bool) {
	switch pkt.Kind {
	case MediaAudio:
		if !l.ReceiveAudio {
			return
		}
	case MediaVideo:
		if !l.ReceiveVideo {
			return
		}
		if l.waitKeyframe && !isVideoConfig(pkt.Payload) {
			if !keyframe {
				return
			}
			l.waitKeyframe = false
		}
	}
	l.Delivered++
	l.sub.WriteMedia(pkt)
}

// SetReceive mutes or unmutes the tracks of a subscription. Safe from any
// goroutine. Re-enabling video waits for the next keyframe.
func (s *Server) SetReceive(h *Subscription, audio, video bool) {
	s.Post(func() {
		l := h.listener
		if l == nil || h.ended {
			return
		}
		if video && !l.ReceiveVideo {
			l.waitKeyframe = true
			if cfg := l.Publication.videoConfig; cfg != nil {
				l.sub.WriteMedia(cfg)
			}
		}
		l.ReceiveAudio, l.ReceiveVideo = audio, video
	})
}

// Unsubscribe stops playing. Safe from any goroutine.
func (s *Server) Unsubscribe(h *Subscription) {
	s.mustPost(func() { s.unsubscribe(h) })
}

func (s *Server) unsubscribe(h *Subscription) {
	if h.ended {
		return
	}
	h.ended = true
	c := h.client
	for i, x := range c.subscriptions {
		if x == h {
			c.subscriptions = append(c.subscriptions[:i], c.subscriptions[i+1:]...)
			break
		}
	}
	l := h.listener
	if l == nil {
		return
	}
	p := l.Publication
	for i, x := range p.listeners {
		if x == l {
			p.listeners = append(p.listeners[:i], p.listeners[i+1:]...)
			break
		}
	}
	if !p.running && len(p.listeners) == 0 && s.publications[p.Name] == p {
		delete(s.publications, p.Name)
	}
	s.events.OnUnsubscribe(c, l)
}

func parseQuery(q string) map[string]string {
	if q == "" {
		return nil
	}
	m := make(map[string]string)
	for _, kv := range strings.Split(q, "&") {
		if kv == "" {
			continue
		}
		k, v, _ := strings.Cut(kv, "=")
		m[unescapeQuery(k)] = unescapeQuery(v)
	}
	return m
}
