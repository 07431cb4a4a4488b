package flash

import (
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"nimbus/core"
	"nimbus/rtmfp/flash/message"
)

// userBytes is what the server's session with a client carried as user
// data, both ways.
func userBytes(t *testing.T, ts *testServer, id core.PeerID) uint64 {
	t.Helper()
	st, ok := ts.srv.SessionStats(id)
	if !ok {
		t.Fatalf("no server session for %s", id)
	}
	return st.UserBytesIn + st.UserBytesOut
}

func TestDirectChat(t *testing.T) {
	a := &app{}
	ts := startServer(t, a, nil)
	ctx := ctxTimeout(t, 30*time.Second)
	alice := ts.mustDial("chat")
	bob := ts.mustDial("chat")
	carol := ts.mustDial("chat")

	var mu sync.Mutex
	var asked []core.PeerID
	aliceRoom, err := alice.NewStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	err = aliceRoom.PublishDirect("room", func(peer core.PeerID) bool {
		mu.Lock()
		asked = append(asked, peer)
		mu.Unlock()
		return peer != carol.PeerID()
	})
	if err != nil {
		t.Fatal(err)
	}
	bobRoom, err := bob.NewStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	bobPlay, err := bob.NewStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := bobRoom.PublishDirect("room", nil); err != nil {
		t.Fatal(err)
	}
	if err := bobPlay.PlayPeer(ctx, alice.PeerID(), "room"); err != nil {
		t.Fatal(err)
	}
	alicePlay, err := alice.NewStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := alicePlay.PlayPeer(ctx, bob.PeerID(), "room"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "peers attached", func() bool {
		return aliceRoom.PeerCount() == 1 && bobRoom.PeerCount() == 1
	})
	mu.Lock()
	if len(asked) != 1 || asked[0] != bob.PeerID() {
		t.Fatalf("onPeerConnect asked for %v", asked)
	}
	mu.Unlock()
	// The session may complete through the Redirect alone (Bob's IHello
	// reaches Alice directly) before the core loop counts its FIHello.
	waitFor(t, 5*time.Second, "forwarded hello", func() bool {
		return ts.srv.Stats().ForwardedHellos.Load() > 0 && ts.srv.Stats().Redirects.Load() > 0
	})

	// From here on the chat goes peer to peer: the server's sessions with
	// Alice and Bob must not carry it.
	baseA, baseB := userBytes(t, ts, alice.PeerID()), userBytes(t, ts, bob.PeerID())
	const messages = 100
	line := strings.Repeat("x", 1000)
	for i := range messages {
		if err := aliceRoom.Send("chat", float64(i), "alice: "+line); err != nil {
			t.Fatal(err)
		}
		if err := bobRoom.Send("chat", float64(i), "bob: "+line); err != nil {
			t.Fatal(err)
		}
	}
	for who, st := range map[string]*Stream{"bob": bobPlay, "alice": alicePlay} {
		p, err := collect(ctx, st, 0, 0, messages)
		if err != nil {
			t.Fatalf("%s: %v", who, err)
		}
		checkSequence(t, who, "chat", p.chat, 0, messages)
	}
	chatBytes := uint64(messages * len(line))
	if d := userBytes(t, ts, alice.PeerID()) - baseA; d > chatBytes/100 {
		t.Fatalf("server session with Alice carried %d user bytes during a %d-byte chat", d, chatBytes)
	}
	if d := userBytes(t, ts, bob.PeerID()) - baseB; d > chatBytes/100 {
		t.Fatalf("server session with Bob carried %d user bytes during a %d-byte chat", d, chatBytes)
	}

	// Carol is refused by Alice's onPeerConnect, and a name Alice does not
	// publish is not found.
	carolPlay, err := carol.NewStream(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var se *StatusError
	if err := carolPlay.PlayPeer(ctx, alice.PeerID(), "room"); !errors.As(err, &se) || se.Code != "NetStream.Play.Failed" {
		t.Fatalf("refused player: %v", err)
	}
	if err := carolPlay.PlayPeer(ctx, bob.PeerID(), "nothing"); !errors.As(err, &se) || se.Code != "NetStream.Play.StreamNotFound" {
		t.Fatalf("unknown name: %v", err)
	}
}

func TestIntroductionPolicy(t *testing.T) {
	a := &app{introduce: func(initiator, target *core.Client) bool { return false }}
	ts := startServer(t, a, nil)
	alice := ts.mustDial("chat")
	bob := ts.mustDial("chat")
	ctx := ctxTimeout(t, 3*time.Second)
	_, err := bob.ep.DialPeer(ctx, bob.server, [32]byte(alice.PeerID()))
	if err == nil {
		t.Fatal("introduction refused by policy, yet a session opened")
	}
	if a.count("introduce") == 0 {
		t.Fatal("the application was not asked")
	}
	if n := ts.srv.Stats().ForwardedHellos.Load(); n != 0 {
		t.Fatalf("%d Forwarded IHellos despite the refusal", n)
	}
}

// TestPeerStatusWithoutCommandObject: a librtmfp publisher (FFmpeg's RTMFP)
// answers a direct play with onStatus messages that have no command object
// (name, transaction 0, then the status object at once). Captured from
// librtmfp 2.15: NetStream.Play.Start must still reach the player.
func TestPeerStatusWithoutCommandObject(t *testing.T) {
	const playStart = "14000000000200086f6e5374617475730000000000000000000300056c6576656c0200067374617475730004636f64650200144e657453747265616d2e506c61792e5374617274000b6465736372697074696f6e0200145374617274656420706c6179696e672070327063000009"
	msg, err := hex.DecodeString(playStart)
	if err != nil {
		t.Fatal(err)
	}
	st := &Stream{statuses: make(chan message.Status, 1)}
	st.onMessage(nil, nil, msg)
	select {
	case s := <-st.statuses:
		if s.Code != "NetStream.Play.Start" || s.Level != message.LevelStatus {
			t.Fatalf("status %+v", s)
		}
	default:
		t.Fatal("onStatus without command object ignored")
	}
}
