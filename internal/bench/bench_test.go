package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"
)

// testLogger discards logs unless NIMBUS_LOG=debug.
func testLogger() *slog.Logger {
	if os.Getenv("NIMBUS_LOG") == "debug" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func startTestServer(t testing.TB) *Server {
	t.Helper()
	s, err := StartServer(ServerConfig{Loops: 2, Logger: testLogger()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("server close: %v", err)
		}
	})
	return s
}

// common is a short run against s, measuring this process as the server.
func common(s *Server) Common {
	return Common{
		URL:       s.URL("bench"),
		Duration:  time.Second,
		Timeout:   5 * time.Second,
		ServerPID: os.Getpid(),
		Logger:    testLogger(),
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// checkResult checks what every result must satisfy, and that both
// renderings work: the table mentions the scenario, the JSON parses and
// carries the same numbers.
func checkResult(t *testing.T, r Result, minOps uint64) {
	t.Helper()
	s := r.Base()
	if s.Ops < minOps {
		t.Errorf("%s: %d ops, want at least %d", s.Scenario, s.Ops, minOps)
	}
	if s.ErrorTotal() != 0 {
		t.Errorf("%s: errors %v (%v)", s.Scenario, s.Errors, s.ErrorSamples)
	}
	if s.Rate <= 0 || s.Elapsed <= 0 {
		t.Errorf("%s: rate %v over %v s", s.Scenario, s.Rate, s.Elapsed)
	}
	var table bytes.Buffer
	if err := WriteTable(&table, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), "nimbus bench "+s.Scenario) {
		t.Errorf("table:\n%s", table.String())
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, r); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatalf("json does not parse: %v\n%s", err, js.String())
	}
	if back["scenario"] != s.Scenario || back["ops"] != float64(s.Ops) {
		t.Errorf("json scenario %v ops %v, want %s %d", back["scenario"], back["ops"], s.Scenario, s.Ops)
	}
	if strings.Count(strings.TrimSpace(js.String()), "\n") != 0 {
		t.Error("json is not one line")
	}
	if testing.Verbose() {
		t.Logf("\n%s", table.String())
	}
}

func TestConnect(t *testing.T) {
	s := startTestServer(t)
	res, err := Connect(testCtx(t), ConnectConfig{Common: common(s), Concurrency: 4})
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, res, 1)
	if res.Latency == nil || res.Latency.P50Us <= 0 || res.CloseLatency.Count != res.Ops {
		t.Errorf("latencies %+v close %+v", res.Latency, res.CloseLatency)
	}
	if res.Server == nil || res.Server.CPUSeconds <= 0 {
		t.Errorf("server usage %+v", res.Server)
	}
	if got := s.Flash().Stats().Connects.Load(); got < res.Ops {
		t.Errorf("server saw %d connects, bench counted %d", got, res.Ops)
	}
}

func TestRPC(t *testing.T) {
	s := startTestServer(t)
	res, err := RPC(testCtx(t), RPCConfig{Common: common(s), Clients: 4, Pipeline: 2, Payload: 32})
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, res, 100)
}

func TestRPCUnknownMethodCountsErrors(t *testing.T) {
	s := startTestServer(t)
	cfg := RPCConfig{Common: common(s), Clients: 1, Method: "nothing"}
	cfg.Duration = 300 * time.Millisecond
	res, err := RPC(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if res.Ops != 0 || res.ErrorTotal() == 0 {
		t.Fatalf("ops %d errors %v", res.Ops, res.Errors)
	}
}

func TestFanout(t *testing.T) {
	s := startTestServer(t)
	res, err := Fanout(testCtx(t), FanoutConfig{Common: common(s), Subscribers: 5, Size: 200, Rate: 500})
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, res, 1000)
	if res.Expected != res.Sent*5 || res.Delivered != res.Expected || res.Lost != 0 {
		t.Errorf("sent %d expected %d delivered %d lost %d", res.Sent, res.Expected, res.Delivered, res.Lost)
	}
	if res.Sent < 400 || res.Sent > 600 {
		t.Errorf("sent %d in 1 s at 500/s", res.Sent)
	}
}

func TestSessions(t *testing.T) {
	for _, connect := range []bool{false, true} {
		name := "handshake"
		if connect {
			name = "connect"
		}
		t.Run(name, func(t *testing.T) {
			s := startTestServer(t)
			cfg := SessionsConfig{Common: common(s), Sessions: 300, Sockets: 3, Connect: connect, Keepalive: time.Second}
			cfg.Duration = 1500 * time.Millisecond
			res, err := Sessions(testCtx(t), cfg)
			if err != nil {
				t.Fatal(err)
			}
			checkResult(t, res, 300)
			if res.Opened != 300 || res.StayedUp != 300 {
				t.Errorf("opened %d, stayed up %d", res.Opened, res.StayedUp)
			}
			// The swarm aborted its sessions when it closed.
			waitFor(t, 5*time.Second, "server sessions gone", func() bool { return s.Flash().Stats().Sessions.Load() == 0 })
			if connect {
				if got := s.Flash().Stats().Connects.Load(); got != 300 {
					t.Errorf("server saw %d connects", got)
				}
			}
			if res.ServerRSSHeld == 0 || res.ClientRSSHeld == 0 {
				t.Errorf("memory: server %d client %d", res.ServerRSSHeld, res.ClientRSSHeld)
			}
		})
	}
}

func TestIntroSessions(t *testing.T) {
	s := startTestServer(t)
	res, err := Intro(testCtx(t), IntroConfig{Common: common(s), Pairs: 4})
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, res, 10)
	if got := s.Flash().Stats().ForwardedHellos.Load(); got < res.Ops {
		t.Errorf("server forwarded %d hellos for %d introductions", got, res.Ops)
	}
}

func TestIntroRendezvous(t *testing.T) {
	s := startTestServer(t)
	res, err := Intro(testCtx(t), IntroConfig{Common: common(s), Pairs: 8, Mode: IntroRendezvous, Sockets: 2})
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, res, 100)
	st := s.Flash().Stats()
	if st.ForwardedHellos.Load() < res.Ops || st.Redirects.Load() < res.Ops {
		t.Errorf("server: %d forwarded, %d redirects for %d introductions", st.ForwardedHellos.Load(), st.Redirects.Load(), res.Ops)
	}
}

func TestUDPBaseline(t *testing.T) {
	cfg := UDPBaselineConfig{Common: Common{Duration: 500 * time.Millisecond}, Concurrency: 2, Size: 200}
	res, err := UDPBaseline(testCtx(t), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkResult(t, res, 100)
}

func TestBadConfig(t *testing.T) {
	ctx := testCtx(t)
	if _, err := Connect(ctx, ConnectConfig{}); err == nil {
		t.Error("connect without URL")
	}
	if _, err := Sessions(ctx, SessionsConfig{Common: Common{URL: "rtmfp://127.0.0.1:1/x"}, Sessions: 300000}); err == nil {
		t.Error("300000 sessions accepted")
	}
	if _, err := Intro(ctx, IntroConfig{Common: Common{URL: "rtmfp://127.0.0.1:1/x"}, Mode: "x"}); err == nil {
		t.Error("unknown intro mode accepted")
	}
	if _, err := Fanout(ctx, FanoutConfig{Common: Common{URL: "rtmfp://127.0.0.1:1/x", Duration: time.Hour}}); err == nil {
		t.Error("one hour accepted")
	}
}

func TestProgress(t *testing.T) {
	var buf safeBuffer
	p := startProgress(&buf, "x", 2*time.Second, func() string { return "ops=1" })
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(buf.String(), "ops=1") && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	p.end()
	if !strings.Contains(buf.String(), "x:") {
		t.Fatalf("progress: %q", buf.String())
	}
}
