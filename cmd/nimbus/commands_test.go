package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestMain lets the end-to-end test run this test binary as the nimbus
// command itself.
func TestMain(m *testing.M) {
	if os.Getenv("NIMBUS_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// syncBuffer is a bytes.Buffer safe for a command writing while the test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type result struct {
	status         int
	stdout, stderr string
}

// runCmd runs nimbus in-process to completion (for commands that do not serve).
func runCmd(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr syncBuffer
	status := run(args, &env{stdout: &stdout, stderr: &stderr, signals: make(chan os.Signal)})
	return result{status, stdout.String(), stderr.String()}
}

func TestVersion(t *testing.T) {
	r := runCmd(t, "version")
	if r.status != exitOK || !strings.HasPrefix(r.stdout, "nimbus dev\n") || !strings.Contains(r.stdout, runtime.Version()) {
		t.Errorf("version: %+v", r)
	}
	if r := runCmd(t, "version", "x"); r.status != exitUsage {
		t.Errorf("version x: status %d, want %d", r.status, exitUsage)
	}
}

func TestWriteVersion(t *testing.T) {
	var b bytes.Buffer
	info := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "nimbus", Version: "v1.2.3"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-11-25T00:00:00Z"}, {Key: "vcs.modified", Value: "true"}}}
	writeVersion(&b, "dev", info)
	out := b.String()
	for _, want := range []string{"nimbus v1.2.3\n", "go1.26.8", "abc123 2026-11-25T00:00:00Z (modified)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output %q lacks %q", out, want)
		}
	}
	b.Reset()
	writeVersion(&b, "v9.9.9", info) // -ldflags wins over the module version
	if !strings.HasPrefix(b.String(), "nimbus v9.9.9\n") {
		t.Errorf("output %q", b.String())
	}
}

func TestUnknownCommand(t *testing.T) {
	r := runCmd(t, "frobnicate")
	if r.status != exitUsage {
		t.Errorf("status = %d, want %d", r.status, exitUsage)
	}
	if !strings.Contains(r.stderr, `unknown command "frobnicate"`) || !strings.Contains(r.stderr, "Usage:") {
		t.Errorf("stderr = %q", r.stderr)
	}
	if r.stdout != "" {
		t.Errorf("stdout = %q, want nothing", r.stdout)
	}
}

func TestHelp(t *testing.T) {
	r := runCmd(t, "help")
	if r.status != exitOK {
		t.Fatalf("help: %+v", r)
	}
	for _, name := range []string{"serve", "version", "help"} {
		if !strings.Contains(r.stdout, "  "+name+" ") {
			t.Errorf("help does not list %q: %q", name, r.stdout)
		}
	}
	r = runCmd(t, "help", "serve")
	if r.status != exitOK || !strings.Contains(r.stdout, "-config") || !strings.Contains(r.stdout, "-log-format") {
		t.Errorf("help serve: %+v", r)
	}
	if r := runCmd(t, "help", "nope"); r.status != exitUsage {
		t.Errorf("help nope: status %d", r.status)
	}
	r = runCmd(t, "-h")
	if r.status != exitOK || !strings.Contains(r.stderr, "Commands:") || !strings.Contains(r.stderr, "-www") {
		t.Errorf("-h: %+v", r)
	}
}

func TestServeBadFlag(t *testing.T) {
	if r := runCmd(t, "serve", "-bogus"); r.status != exitUsage {
		t.Errorf("status = %d", r.status)
	}
	if r := runCmd(t, "serve", "extra"); r.status != exitUsage || !strings.Contains(r.stderr, `unexpected argument "extra"`) {
		t.Errorf("%+v", r)
	}
}

// serverDir makes a directory with a config file and an application root.
func serverDir(t *testing.T, configTOML string) (dir, configPath string) {
	t.Helper()
	// Tests must not take the real RTMFP port (it may be in use, and the
	// packages' tests run in parallel): listen on an ephemeral loopback port
	// unless the test configures [rtmfp] itself.
	if !strings.Contains(configTOML, "[rtmfp]") {
		configTOML = "[rtmfp]\nlisten = [\"127.0.0.1:0\"]\n" + configTOML
	}
	dir = t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "www"), 0o755); err != nil {
		t.Fatal(err)
	}
	configPath = filepath.Join(dir, "config.toml")
	if err := os.WriteFile(configPath, []byte(configTOML), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, configPath
}

func TestServeConfigErrors(t *testing.T) {
	dir, bad := serverDir(t, "[rtmfp]\nmax_sessions = -5\n")
	tests := []struct {
		name string
		args []string
		want string // first line of stderr
	}{
		{"bad value", []string{"-config", bad}, bad + ":2: rtmfp.max_sessions: must be > 0, got -5"},
		{"explicit file missing", []string{"-config", filepath.Join(dir, "none.toml")},
			"config: open " + filepath.Join(dir, "none.toml") + ": no such file or directory"},
		{"bad flag value", []string{"-config", writeConfig(t, ""), "-log-level", "loud"},
			`nimbus: -log-level: must be one of ["debug" "info" "warn" "error"], got "loud"`},
		{"missing www", []string{"-config", writeConfig(t, ""), "-www", filepath.Join(dir, "nowhere")},
			`nimbus: application root: directory "` + filepath.Join(dir, "nowhere") + `" does not exist (set [www].dir in the config file or use -www)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCmd(t, append([]string{"serve"}, tt.args...)...)
			if r.status != exitUsage {
				t.Errorf("status = %d, want %d", r.status, exitUsage)
			}
			if got := strings.TrimRight(r.stderr, "\n"); got != tt.want {
				t.Errorf("stderr\n got: %q\nwant: %q", got, tt.want)
			}
		})
	}
}

// writeConfig writes a config file in a directory of its own, with a www.
func writeConfig(t *testing.T, content string) string {
	_, path := serverDir(t, content)
	return path
}

// serve runs "nimbus serve args..." in-process until stop is called.
type serving struct {
	stderr *syncBuffer
	sigs   chan os.Signal
	status chan int
}

func startServe(t *testing.T, args ...string) *serving {
	t.Helper()
	s := &serving{stderr: &syncBuffer{}, sigs: make(chan os.Signal, 2), status: make(chan int, 1)}
	ready := make(chan struct{})
	e := &env{stdout: &syncBuffer{}, stderr: s.stderr, signals: s.sigs, ready: func() { close(ready) }}
	go func() {
		s.status <- run(append([]string{"serve"}, args...), e)
	}()
	select {
	case <-ready:
	case st := <-s.status:
		t.Fatalf("serve exited with %d: %s", st, s.stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("serve did not come up: %s", s.stderr.String())
	}
	return s
}

func (s *serving) stop(t *testing.T) int {
	t.Helper()
	s.sigs <- os.Interrupt
	return awaitStatus(t, s.status)
}

func TestServeRunsUntilSignal(t *testing.T) {
	dir, cfg := serverDir(t, "[rtmfp]\nlisten = [\"127.0.0.1:0\"]\nmax_sessions = 7\n")
	s := startServe(t, "-config", cfg)
	if st := s.stop(t); st != exitOK {
		t.Errorf("status = %d, want 0", st)
	}
	logs := s.stderr.String()
	for _, want := range []string{
		`msg="nimbus starting"`, "max_sessions=7", "listen=[127.0.0.1:0]",
		"www=" + filepath.Join(dir, "www"), `msg="shutting down" signal=interrupt`, "msg=stopped",
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

func TestServeJSONLogs(t *testing.T) {
	_, cfg := serverDir(t, "[log]\nformat = \"json\"\nlevel = \"debug\"\n")
	s := startServe(t, "-config", cfg)
	if st := s.stop(t); st != exitOK {
		t.Fatalf("status = %d", st)
	}
	sc := bufio.NewScanner(strings.NewReader(s.stderr.String()))
	var msgs []string
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", sc.Text())
		}
		msgs = append(msgs, rec["msg"].(string))
	}
	if !strings.Contains(strings.Join(msgs, ","), "effective configuration") {
		t.Errorf("debug level did not log the configuration: %v", msgs)
	}
}

func TestServeFlagOverrides(t *testing.T) {
	other := t.TempDir()
	_, cfg := serverDir(t, "[log]\nlevel = \"info\"\n")
	s := startServe(t, "-config", cfg, "-www", other, "-log-format", "json")
	if st := s.stop(t); st != exitOK {
		t.Fatalf("status = %d", st)
	}
	if logs := s.stderr.String(); !strings.Contains(logs, `"msg":"nimbus starting"`) || !strings.Contains(logs, `"www":"`+other+`"`) {
		t.Errorf("-log-format json or -www not applied:\n%s", logs)
	}
	s = startServe(t, "-config", cfg, "-log-level", "warn")
	if st := s.stop(t); st != exitOK {
		t.Fatalf("status = %d", st)
	}
	if logs := s.stderr.String(); strings.Contains(logs, "nimbus starting") {
		t.Errorf("-log-level warn still logged info lines:\n%s", logs)
	}
}

func TestServeResolvesPathsAgainstConfigDir(t *testing.T) {
	dir, cfg := serverDir(t, "[www]\ndir = \"apps\"\n")
	if err := os.Mkdir(filepath.Join(dir, "apps"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, "-config", cfg) // the working directory has no "apps"
	if st := s.stop(t); st != exitOK {
		t.Fatalf("status = %d", st)
	}
	if want := "www=" + filepath.Join(dir, "apps"); !strings.Contains(s.stderr.String(), want) {
		t.Errorf("logs lack %q:\n%s", want, s.stderr.String())
	}
}

func TestServeWithoutConfigFileUsesDefaults(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir) // no ./config.toml and no ./www here
	r := runCmd(t)
	if r.status != exitUsage || !strings.Contains(r.stderr, `directory "www" does not exist`) {
		t.Fatalf("%+v", r)
	}
	if err := os.Mkdir("www", 0o755); err != nil {
		t.Fatal(err)
	}
	// The defaults listen on 0.0.0.0:1935, which another program may hold:
	// either the server comes up, or it fails to bind exactly that address;
	// both prove the built-in defaults were used.
	stderr := &syncBuffer{}
	sigs := make(chan os.Signal, 2)
	status := make(chan int, 1)
	ready := make(chan struct{})
	go func() {
		status <- run(nil, &env{stdout: &syncBuffer{}, stderr: stderr, signals: sigs, ready: func() { close(ready) }})
	}()
	select {
	case <-ready:
		sigs <- os.Interrupt
		if st := awaitStatus(t, status); st != exitOK {
			t.Fatalf("status = %d", st)
		}
	case st := <-status:
		if st != exitFail || !strings.Contains(stderr.String(), "listen 0.0.0.0:1935") {
			t.Fatalf("serve exited with %d:\n%s", st, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("serve neither came up nor failed:\n%s", stderr.String())
	}
	if !strings.Contains(stderr.String(), "built-in defaults") {
		t.Errorf("logs do not say defaults are used:\n%s", stderr.String())
	}
}

// TestBinarySignals runs the real entry point in a child process and stops it
// with a real SIGINT.
func TestBinarySignals(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("needs POSIX signals")
	}
	_, cfg := serverDir(t, "")
	cmd := exec.Command(os.Args[0], "-config", cfg)
	cmd.Env = append(os.Environ(), "NIMBUS_RUN_MAIN=1")
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	waitFor(t, "the server to run", func() bool { return strings.Contains(stderr.String(), "msg=running") })
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit: %v\n%s", err, stderr.String())
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("no exit after SIGINT:\n%s", stderr.String())
	}
}
