package core

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"nimbus/core/amf"
)

// failEvents records disconnections with their failure reason and group
// events.
type failEvents struct {
	testEvents
}

func (e *failEvents) OnDisconnection(c *Client) {
	e.rec.add("disconnected %x reason=%q", c.ID[:1], c.FailureReason())
}
func (e *failEvents) OnJoinGroup(c *Client, g *Group)   { e.rec.add("join %x", c.ID[:1]) }
func (e *failEvents) OnUnjoinGroup(c *Client, g *Group) { e.rec.add("unjoin %x", c.ID[:1]) }

func TestBlacklistBanAndUnban(t *testing.T) {
	rec := &recorder{}
	s := startServer(t, &failEvents{testEvents{rec: rec}})
	a := connect(t, s, rec, "a", 1, "rtmfp://h/app")
	connect(t, s, rec, "b", 2, "rtmfp://h/app")
	waitFor(t, "accepts", func() bool { return rec.has("a accept") && rec.has("b accept") })

	banned := netip.MustParseAddr("192.0.2.1")
	onLoop(t, s, func() {
		if got := s.Ban(banned, banned, netip.Addr{}); len(got) != 1 || got[0] != banned {
			t.Errorf("Ban = %v, want only %v once", got, banned)
		}
		if s.Ban(banned) != nil {
			t.Error("second Ban reported a change")
		}
	})
	if !rec.has("a close") || !rec.has(`disconnected 01 reason=""`) || rec.has("b close") {
		t.Fatalf("ban did not close exactly the banned client:\n%v", rec.log)
	}
	if a.Accepted() {
		t.Fatal("banned client still accepted")
	}
	bl := s.Blacklist()
	if !bl.Contains(banned) || !bl.Contains(netip.MustParseAddr("::ffff:192.0.2.1")) || bl.Contains(netip.MustParseAddr("192.0.2.2")) {
		t.Fatal("Contains wrong (IPv4-mapped form must match)")
	}

	// A new connection from the banned address is refused by core too
	// (protocols filter earlier; this is the safety net).
	connect(t, s, rec, "again", 1, "rtmfp://h/app")
	waitFor(t, "reject", func() bool { return rec.has("again reject NetConnection.Connect.Rejected address banned") })

	if got := s.Unban(banned, netip.MustParseAddr("198.51.100.1")); len(got) != 1 {
		t.Fatalf("Unban = %v", got)
	}
	if bl.Contains(banned) || bl.Len() != 0 {
		t.Fatal("still banned after Unban")
	}
	connect(t, s, rec, "back", 1, "rtmfp://h/app")
	waitFor(t, "accept after unban", func() bool { return rec.has("back accept") })
}

// Readers run concurrently with writers (the protocols' socket readers
// against a script); run with -race.
func TestBlacklistConcurrentReaders(t *testing.T) {
	var bl Blacklist
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := netip.MustParseAddr("10.0.0.1")
			for {
				select {
				case <-stop:
					return
				default:
					bl.Contains(a)
				}
			}
		}()
	}
	for i := range 200 {
		a := netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})
		bl.Add(a)
		if i%2 == 0 {
			bl.Remove(a)
		}
	}
	close(stop)
	wg.Wait()
	if bl.Len() != 100 {
		t.Fatalf("Len = %d, want 100", bl.Len())
	}
}

func TestFailReason(t *testing.T) {
	rec := &recorder{}
	s := startServer(t, &failEvents{testEvents{rec: rec}})
	a := connect(t, s, rec, "a", 1, "rtmfp://h/app")
	b := connect(t, s, rec, "b", 2, "rtmfp://h/app")
	waitFor(t, "accepts", func() bool { return rec.has("a accept") && rec.has("b accept") })
	s.Fail(a, "Timeout no client message")
	s.Fail(a, "second reason is ignored")
	s.Disconnect(b)
	waitFor(t, "disconnections", func() bool {
		return rec.has(`disconnected 01 reason="Timeout no client message"`) && rec.has(`disconnected 02 reason=""`)
	})
	if n := len(rec.log); rec.count(`disconnected 01 reason="Timeout no client message"`) != 1 {
		t.Fatalf("failure reported more than once (%d entries)", n)
	}
}

func TestVirtualGroupMembers(t *testing.T) {
	rec := &recorder{}
	s := startServer(t, &failEvents{testEvents{rec: rec}})
	gid := PeerID{0xee}
	c := connect(t, s, rec, "m1", 1, "rtmfp://h/g")
	if _, err := s.JoinGroup(c, gid, &fakeGroupConn{rec: rec, name: "m1"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "join", func() bool { return rec.has("join 01") })

	var virtual []*Membership
	onLoop(t, s, func() {
		for i := range 3 {
			virtual = append(virtual, s.JoinGroupVirtual(PeerID{0xa0 + byte(i)}, gid))
		}
		g := s.Group(gid)
		if g.Size() != 4 || len(g.Members()) != 1 || len(g.Memberships()) != 4 {
			t.Errorf("size %d, clients %d, memberships %d; want 4, 1, 4", g.Size(), len(g.Members()), len(g.Memberships()))
		}
		if !virtual[0].Virtual() || virtual[0].Client() != nil || virtual[0].PeerID() != (PeerID{0xa0}) {
			t.Error("virtual membership accessors wrong")
		}
	})
	// The client member hears of every virtual peer (fewer than
	// GroupNeighbours members), and no join event is raised for them.
	for i := range 3 {
		if !rec.has(fmt.Sprintf("m1 neighbour %02x", 0xa0+i)) {
			t.Errorf("m1 was not told of virtual peer %02x: %v", 0xa0+i, rec.log)
		}
	}
	// A client joining later learns of virtual members as neighbours.
	c2 := connect(t, s, rec, "m2", 2, "rtmfp://h/g")
	if _, err := s.JoinGroup(c2, gid, &fakeGroupConn{rec: rec, name: "m2"}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "m2 joins", func() bool { return rec.has("join 02") })
	if !rec.has("m2 neighbour a0") || !rec.has("m2 neighbour 01") {
		t.Errorf("m2 neighbours: %v", rec.log)
	}
	onLoop(t, s, func() {
		for _, m := range virtual {
			s.LeaveGroupNow(m)
			s.LeaveGroupNow(m) // idempotent
		}
		if g := s.Group(gid); g == nil || g.Size() != 2 {
			t.Errorf("after releasing virtual members: %v", g)
		}
	})
	if rec.count("join 01")+rec.count("join 02") != 2 || rec.has("unjoin 01") {
		t.Errorf("group events for virtual members: %v", rec.log)
	}
	// A group of only virtual members disappears when the last one leaves.
	other := PeerID{0xef}
	onLoop(t, s, func() {
		m := s.JoinGroupVirtual(PeerID{0xb0}, other)
		if s.Group(other) == nil {
			t.Fatal("virtual-only group missing")
		}
		s.LeaveGroupNow(m)
		if s.Group(other) != nil {
			t.Fatal("empty group kept")
		}
	})
}

// watchEvents records the publication-level events of watched
// publications.
type watchEvents struct {
	testEvents
}

func (e *watchEvents) OnPublish(c *Client, p *Publication) error {
	p.Watched = true
	return nil
}
func (e *watchEvents) OnMedia(p *Publication, pkt *MediaPacket) {
	e.rec.add("media %s %d", pkt.Kind, pkt.Time)
}
func (e *watchEvents) OnFlush(p *Publication) { e.rec.add("flush") }
func (e *watchEvents) OnProperties(p *Publication) {
	e.rec.add("properties %d", len(p.Properties()))
}

func TestPublicationWatcher(t *testing.T) {
	rec := &recorder{}
	s := startServer(t, &watchEvents{testEvents{rec: rec}})
	pub := connect(t, s, rec, "pub", 1, "rtmfp://h/live")
	waitFor(t, "accept", func() bool { return rec.has("pub accept") })
	h, _ := s.Publish(pub, "cam", &fakePub{rec: rec, name: "pub"})
	waitFor(t, "publish", func() bool { return rec.has("pub pubstarted") })

	set := amfPayload(t, "@setDataFrame", "onMetaData", amf.NewECMAArray(amf.Member{Key: "width", Value: 640.0}, amf.Member{Key: "height", Value: 480.0}))
	s.PushMedia(h, &MediaPacket{Kind: MediaData, Time: 1, Payload: set})
	s.PushMedia(h, &MediaPacket{Kind: MediaData, Time: 2, Payload: amfPayload(t, "onMetaData", "sent by the app")})
	s.PushMedia(h, &MediaPacket{Kind: MediaAudio, Time: 3, Payload: []byte{0x2f, 0}})
	s.FlushMedia(h)
	s.PushMedia(h, &MediaPacket{Kind: MediaData, Time: 4, Payload: amfPayload(t, "@clearDataFrame", "onMetaData")})
	waitFor(t, "events", func() bool { return rec.has("properties 0") })
	rec.mu.Lock()
	got := fmt.Sprint(rec.log[len(rec.log)-5:])
	rec.mu.Unlock()
	// Metadata is a properties event, not media; a plain "onMetaData" data
	// message is media like any other.
	if want := "[properties 2 media data 2 media audio 3 flush properties 0]"; got != want {
		t.Fatalf("events %s, want %s", got, want)
	}
}

func amfPayload(t *testing.T, vals ...any) []byte {
	t.Helper()
	e := amf.NewEncoder(nil)
	for _, v := range vals {
		if err := e.WriteAMF0(v); err != nil {
			t.Fatal(err)
		}
	}
	return e.Bytes()
}

func TestTrackByteRate(t *testing.T) {
	var s TrackStats
	t0 := time.Unix(1000, 0)
	s.count(t0, 100)
	s.count(t0.Add(500*time.Millisecond), 200)
	if r := s.ByteRate(t0.Add(900 * time.Millisecond)); r != 0 {
		t.Fatalf("rate during the first second %v, want 0 (no complete second yet)", r)
	}
	if r := s.ByteRate(t0.Add(1500 * time.Millisecond)); r != 300 {
		t.Fatalf("rate after the first second %v, want 300", r)
	}
	s.count(t0.Add(1200*time.Millisecond), 50)
	if r := s.ByteRate(t0.Add(1300 * time.Millisecond)); r != 300 {
		t.Fatalf("rate in the second second %v, want 300", r)
	}
	if r := s.ByteRate(t0.Add(2100 * time.Millisecond)); r != 50 {
		t.Fatalf("rate after the second second %v, want 50", r)
	}
	if r := s.ByteRate(t0.Add(5 * time.Second)); r != 0 {
		t.Fatalf("rate after silence %v, want 0", r)
	}
	s.count(t0.Add(7*time.Second), 10)
	if r := s.ByteRate(t0.Add(7100 * time.Millisecond)); r != 0 {
		t.Fatalf("a gap must not carry old bytes: %v", r)
	}
	if s.Packets != 4 || s.Bytes != 360 {
		t.Fatalf("counts %d packets %d bytes", s.Packets, s.Bytes)
	}
}
