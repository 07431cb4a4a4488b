package chat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"nimbus/core"
	"nimbus/core/amf"
	"nimbus/internal/bench"
	"nimbus/rtmfp"
	"nimbus/rtmfp/flash"
)

func testLogger() *slog.Logger {
	if os.Getenv("NIMBUS_LOG") == "debug" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// namesApp is what www/chat does: a user registers a name with connect,
// and lookup(name) returns the peer ID of whoever has it.
type namesApp struct {
	core.NopEvents
	byName map[string]core.PeerID // core loop only
}

func (a *namesApp) OnConnection(c *core.Client, args []any) ([]amf.Member, error) {
	if len(args) > 0 {
		if name, ok := args[0].(string); ok {
			a.byName[name] = c.ID
		}
	}
	return nil, nil
}

func (a *namesApp) OnCall(c *core.Client, call *core.Call) ([]any, error) {
	if call.Name != "lookup" {
		return a.NopEvents.OnCall(c, call)
	}
	if len(call.Args) > 0 {
		if name, ok := call.Args[0].(string); ok {
			if id, ok := a.byName[name]; ok {
				return []any{id.String()}, nil
			}
		}
	}
	return []any{nil}, nil
}

// terminal is one chat user: its input pipe, its output, and Run's end.
type terminal struct {
	t    *testing.T
	in   *io.PipeWriter
	out  *lines
	done chan error
}

// lines is a concurrency-safe output that tests wait on.
type lines struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func startChat(t *testing.T, srv *bench.Server, name string) *terminal {
	t.Helper()
	r, w := io.Pipe()
	term := &terminal{t: t, in: w, out: &lines{}, done: make(chan error, 1)}
	cfg := Config{
		URL:  srv.URL("chat"),
		Name: name,
		In:   r,
		Out:  term.out,
		Dialer: flash.Dialer{
			LocalAddr: "127.0.0.1:0",
			Transport: rtmfp.Config{Loops: 1},
			Logger:    testLogger(),
		},
	}
	go func() { term.done <- Run(context.Background(), cfg) }()
	t.Cleanup(func() {
		w.Close()
		select {
		case <-term.done:
		case <-time.After(10 * time.Second):
			t.Errorf("%s: Run did not return", name)
		}
	})
	return term
}

func (term *terminal) say(line string) {
	term.t.Helper()
	if _, err := io.WriteString(term.in, line+"\n"); err != nil {
		term.t.Fatal(err)
	}
}

// wait polls the output until it matches re and returns the submatches.
func (term *terminal) wait(re string) []string {
	term.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(15 * time.Second)
	for {
		if m := rx.FindStringSubmatch(term.out.String()); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			term.t.Fatalf("output never matched %q:\n%s", re, term.out.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (term *terminal) peerID() core.PeerID {
	term.t.Helper()
	m := term.wait(`your peer ID: ([0-9a-f]{64})`)
	id, err := core.ParsePeerID(m[1])
	if err != nil {
		term.t.Fatal(err)
	}
	return id
}

func startServer(t *testing.T, events core.Events) *bench.Server {
	t.Helper()
	srv, err := bench.StartServer(bench.ServerConfig{Loops: 2, Events: events, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// userBytes is what the server's session with peer carried as user data.
func userBytes(t *testing.T, srv *bench.Server, peer core.PeerID) uint64 {
	t.Helper()
	st, ok := srv.Flash().SessionStats(peer)
	if !ok {
		t.Fatalf("no server session for %s", peer)
	}
	return st.UserBytesIn + st.UserBytesOut
}

// TestChatByNameGoesPeerToPeer: Alice calls Bob by name, both see each
// other join, lines go both ways, and the server's sessions with them carry
// none of it.
func TestChatByNameGoesPeerToPeer(t *testing.T) {
	srv := startServer(t, &namesApp{byName: make(map[string]core.PeerID)})
	alice := startChat(t, srv, "alice")
	bob := startChat(t, srv, "bob")
	aliceID, bobID := alice.peerID(), bob.peerID()

	alice.say("hello before anyone listens")
	alice.wait(`nobody is listening yet`)
	alice.say("/call bob")
	alice.wait(`\* bob joined the chat`)
	bob.wait(`\* alice joined the chat`)

	baseA, baseB := userBytes(t, srv, aliceID), userBytes(t, srv, bobID)
	const n = 20
	text := strings.Repeat("é", 300) // 600 bytes of UTF-8
	for i := range n {
		alice.say(fmt.Sprintf("a%d %s", i, text))
		bob.say(fmt.Sprintf("b%d %s", i, text))
	}
	bob.wait(fmt.Sprintf(`alice: a%d %s\n`, n-1, text))
	alice.wait(fmt.Sprintf(`bob: b%d %s\n`, n-1, text))
	for i := range n {
		if !strings.Contains(bob.out.String(), fmt.Sprintf("alice: a%d %s\n", i, text)) {
			t.Errorf("bob missed line %d", i)
		}
		if !strings.Contains(alice.out.String(), fmt.Sprintf("bob: b%d %s\n", i, text)) {
			t.Errorf("alice missed line %d", i)
		}
	}
	// The chat was 2 × 20 × 600 bytes; keepalives carry no user data, so
	// the server sessions must not have grown by even 1 % of it.
	chatBytes := uint64(2 * n * 600)
	if d := userBytes(t, srv, aliceID) - baseA; d > chatBytes/100 {
		t.Errorf("server session with alice carried %d user bytes during the chat", d)
	}
	if d := userBytes(t, srv, bobID) - baseB; d > chatBytes/100 {
		t.Errorf("server session with bob carried %d user bytes during the chat", d)
	}
	if srv.Flash().Stats().ForwardedHellos.Load() == 0 {
		t.Error("the server introduced nobody")
	}

	alice.say("/quit")
	alice.wait(`\* bye`)
	select {
	case err := <-alice.done:
		if err != nil {
			t.Fatalf("alice: %v", err)
		}
		alice.done <- nil // for the cleanup
	case <-time.After(10 * time.Second):
		t.Fatal("/quit did not end Run")
	}
}

// TestChatByPeerIDWithoutLookup: a server without lookup still lets users
// call each other by peer ID, and says why a name does not work.
func TestChatByPeerIDWithoutLookup(t *testing.T) {
	srv := startServer(t, core.NopEvents{})
	alice := startChat(t, srv, "alice")
	bob := startChat(t, srv, "bob")
	bobID := bob.peerID()
	alice.peerID()

	alice.say("/call bob")
	alice.wait(`not a peer ID and the server does not look names up`)
	alice.say("/call " + bobID.String())
	alice.wait(`\* bob joined the chat`)
	bob.wait(`\* alice joined the chat`)
	bob.say("hi alice")
	alice.wait(`bob: hi alice\n`)
	alice.say("/nonsense")
	alice.wait(`unknown command /nonsense`)
}

func TestChatNeedsName(t *testing.T) {
	if err := Run(context.Background(), Config{URL: "rtmfp://127.0.0.1:1/chat"}); !errors.Is(err, ErrNoName) {
		t.Fatalf("err = %v", err)
	}
}

func TestChatEndsWhenServerStops(t *testing.T) {
	srv, err := bench.StartServer(bench.ServerConfig{Loops: 1, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	alice := startChat(t, srv, "alice")
	alice.peerID()
	srv.Close()
	select {
	case err := <-alice.done:
		if !errors.Is(err, ErrDisconnected) {
			t.Fatalf("err = %v", err)
		}
		alice.done <- err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not notice the server stopping")
	}
	alice.wait(`\* disconnected`)
}
