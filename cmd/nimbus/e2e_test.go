package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"nimbus/rtmfp/flash"
)

// copyTree copies the repository's www folder so that tests can edit apps.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

var listeningRe = regexp.MustCompile(`msg="flash: listening" address=(127\.0\.0\.1:\d+)`)

// startDefaultServer runs "nimbus serve" on 127.0.0.1:0 with a copy of the
// shipped www and returns its URL base and www path.
func startDefaultServer(t *testing.T) (base, www string, s *serving) {
	t.Helper()
	dir, cfg := serverDir(t, "[rtmfp]\nlisten = [\"127.0.0.1:0\"]\n[www]\nreload_debounce = \"20ms\"\n")
	www = filepath.Join(dir, "www")
	copyTree(t, "../../www", www)
	s = startServe(t, "-config", cfg)
	t.Cleanup(func() { s.stop(t) })
	m := listeningRe.FindStringSubmatch(s.stderr.String())
	if m == nil {
		t.Fatalf("no listening address in logs:\n%s", s.stderr.String())
	}
	return "rtmfp://" + m[1], www, s
}

func dial(t *testing.T, url string, args ...any) *flash.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := flash.Dial(ctx, url, args...)
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func call(t *testing.T, c *flash.Client, name string, args ...any) ([]any, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.Call(ctx, name, args...)
}

// TestServeDefaultAppsEndToEnd drives the real binary's serve command with
// the shipped Lua apps through our Go RTMFP client: the root echo RPC, the
// chat app's registration and lookup, a rejected connection, and a hot
// reload of main.lua while the client stays connected (a broken edit keeps
// the old code serving).
func TestServeDefaultAppsEndToEnd(t *testing.T) {
	base, www, srv := startDefaultServer(t)

	root := dial(t, base+"/")
	got, err := call(t, root, "echo", "hello", 42.0)
	if err != nil || len(got) != 2 || got[0] != "hello" || got[1] != 42.0 {
		t.Fatalf("echo = %v, %v", got, err)
	}

	alice := dial(t, base+"/chat", "alice")
	bob := dial(t, base+"/chat", "bob")
	got, err = call(t, alice, "lookup", "bob")
	if err != nil || len(got) != 1 || got[0] != bob.PeerID().String() {
		t.Fatalf("lookup(bob) = %v, %v; bob is %s", got, err, bob.PeerID())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := flash.Dial(ctx, base+"/chat"); err == nil {
		t.Fatal("chat accepted a client without a name")
	} else {
		var ce *flash.CallError
		if !errors.As(err, &ce) || ce.Code != "NetConnection.Connect.Rejected" {
			t.Fatalf("reject error = %v", err)
		}
	}

	// Hot reload: a new version of the root app answers the next call of
	// the connected client through the app environment.
	appFile := filepath.Join(www, "main.lua")
	v2 := `function onConnection(client) end
function version() return "v2" end
function onConnection(client)
	function client:echo(...) return version(), ... end
end`
	if err := os.WriteFile(appFile, []byte(v2), 0o644); err != nil {
		t.Fatal(err)
	}
	late := waitForReload(t, base+"/", "v2")
	// A syntax error keeps v2 serving.
	if err := os.WriteFile(appFile, []byte("function broken("), 0o644); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(srv.stderr.String(), "keeping the running version") {
		if time.Now().After(deadline) {
			t.Fatalf("the broken edit was not reported:\n%s", srv.stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	got, err = call(t, late, "echo", "x")
	if err != nil || len(got) == 0 || got[0] != "v2" {
		t.Fatalf("after a broken edit echo = %v, %v; want the v2 answer", got, err)
	}
}

// waitForReload connects new clients until one gets the new version's answer.
func waitForReload(t *testing.T, url, want string) *flash.Client {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c := dial(t, url)
		got, err := call(t, c, "echo", "x")
		if err == nil && len(got) > 0 && got[0] == want {
			return c
		}
		if time.Now().After(deadline) {
			t.Fatalf("reload not seen: echo = %v, %v", got, err)
		}
		c.Close()
		time.Sleep(50 * time.Millisecond)
	}
}
