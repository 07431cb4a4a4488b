package flash

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"nimbus/core"
)

// logRecorder is a slog.Handler that keeps the messages it sees.
type logRecorder struct {
	mu   *sync.Mutex
	msgs *[]string
}

func newLogRecorder() logRecorder { return logRecorder{mu: &sync.Mutex{}, msgs: new([]string)} }

func (r logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	*r.msgs = append(*r.msgs, rec.Level.String()+" "+rec.Message)
	r.mu.Unlock()
	return nil
}
func (r logRecorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r logRecorder) WithGroup(string) slog.Handler      { return r }

func (r logRecorder) count(substr string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, m := range *r.msgs {
		if strings.Contains(m, substr) {
			n++
		}
	}
	return n
}

func TestIntroductionsForUnknownPeers(t *testing.T) {
	a := &app{}
	ts := startServer(t, a, func(c *Config, _ *core.Options) {
		c.IntroductionRate, c.IntroductionBurst = 1, 3
	})
	c := ts.mustDial("app")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
			defer cancel()
			var target [32]byte
			target[0], target[1] = 0xee, byte(i)
			if s, err := c.ep.DialPeer(ctx, c.server, target); err == nil {
				s.Close()
				t.Errorf("session opened with a peer that does not exist")
			}
		}()
	}
	wg.Wait()
	st := ts.srv.Stats()
	if st.IntroductionsUnknown.Load() == 0 || a.count("unknown peer") == 0 {
		t.Fatal("unknown peers were not looked up")
	}
	if st.IntroductionsLimited.Load() == 0 {
		t.Fatal("no introduction request was rate-limited")
	}
	if st.Redirects.Load() != 0 || st.ForwardedHellos.Load() != 0 {
		t.Fatal("unknown peers were answered")
	}
	// The server still serves.
	if _, err := c.NewStream(ctxTimeout(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
}

func TestOversizedSetPeerInfo(t *testing.T) {
	ts := startServer(t, &app{}, nil)
	c := ts.mustDial("app")
	args := make([]any, 5000)
	for i := range args {
		args[i] = fmt.Sprintf("10.%d.%d.1:%d", i>>8, i&0xff, 1000+i)
	}
	if err := c.Invoke("setPeerInfo", args...); err != nil {
		t.Fatal(err)
	}
	var reported []netip.AddrPort
	waitFor(t, 5*time.Second, "addresses recorded", func() bool {
		ts.onLoop(func() {
			if cl := ts.core.Client(c.PeerID()); cl != nil {
				reported = cl.ReportedAddresses()
			}
		})
		// The first setPeerInfo (from Dial) reported the client's socket.
		return len(reported) > 0 && reported[0].String() == "10.0.0.1:1000"
	})
	if want := core.DefaultOptions().MaxPeerAddresses; len(reported) != want {
		t.Fatalf("%d addresses kept, want %d", len(reported), want)
	}
}

func TestRPCFlood(t *testing.T) {
	logs := newLogRecorder()
	a := &app{call: func(c *core.Client, call *core.Call) ([]any, error) {
		if call.Name == "slow" {
			time.Sleep(time.Millisecond) // a costly handler: the loop falls behind
		}
		return []any{"ok"}, nil
	}}
	ts := startServer(t, a, func(c *Config, _ *core.Options) {
		c.Logger = slog.New(logs)
	})
	flooder := ts.mustDial("app")
	other := ts.mustDial("app")
	const calls = 3000
	for range calls {
		if err := flooder.Invoke("slow"); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, 20*time.Second, "calls shed", func() bool { return ts.srv.Stats().CallsShed.Load() > 0 })
	if logs.count("RPC flood") == 0 {
		t.Fatal("the flood was not logged")
	}
	// Bounded: the core loop never ran more than the calls that were let
	// through, and other clients are served.
	ctx := ctxTimeout(t, 20*time.Second)
	if res, err := other.Call(ctx, "fast"); err != nil || res[0] != "ok" {
		t.Fatalf("other client: %v %v", res, err)
	}
	if res, err := flooder.Call(ctx, "fast"); err != nil || res[0] != "ok" {
		t.Fatalf("flooder after the flood: %v %v", res, err)
	}
	shed := ts.srv.Stats().CallsShed.Load()
	if run := ts.core.Stats().Calls.Load(); run+shed < calls || shed == 0 {
		t.Fatalf("%d calls run, %d shed, of %d", run, shed, calls)
	}
	t.Logf("%d of %d calls shed", shed, calls)
}
