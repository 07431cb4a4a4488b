package nodb

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func open(t *testing.T, dir string) (*Store, *Node) {
	t.Helper()
	s, n, err := Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s, n
}

func TestEscape(t *testing.T) {
	for _, k := range []string{"", "a", ".hidden", "a/b", "100%", "x\x00y", "é", "..", "a.b"} {
		e := EscapeKey(k)
		if strings.ContainsAny(e, "/\x00") || e == "" || e[0] == '.' {
			t.Errorf("EscapeKey(%q) = %q is not a safe name", k, e)
		}
		if got, ok := UnescapeKey(e); !ok || got != k {
			t.Errorf("round trip %q → %q → %q, %v", k, e, got, ok)
		}
	}
	if _, ok := UnescapeKey(".tmp-1"); ok {
		t.Error("temporary names must not read as keys")
	}
}

func TestSetDeleteReload(t *testing.T) {
	dir := t.TempDir()
	s, root := open(t, dir)
	if len(root.Values)+len(root.Children) != 0 {
		t.Fatal("new store not empty")
	}
	s.Set(nil, "init", "true")
	s.Set([]string{"app", "sub"}, "n", "10")
	s.Set(nil, "s", "v1")
	s.Set(nil, "s", "v2") // coalesced or rewritten
	tree := NewNode()
	tree.Values["a"] = "one"
	tree.Children["c"] = NewNode()
	tree.Children["c"].Values["c1"] = "three"
	tree.Children["empty"] = NewNode()
	s.SetTable(nil, "hash", tree)
	s.Set(nil, "gone", "x")
	s.Delete(nil, "gone")
	s.Set(nil, "became", "value")
	s.SetTable(nil, "became", tree) // value replaced by a table
	s.SetTable(nil, "was", tree)
	s.Set(nil, "was", "value") // table replaced by a value
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	s.Set(nil, "s", "v3")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// The on-disk layout is MonaServer's: <key>/<md5 of content>.
	if _, err := os.Stat(filepath.Join(dir, "init", md5Hex("true"))); err != nil {
		t.Fatal(err)
	}

	s2, r := open(t, dir)
	defer s2.Close()
	check := func(got, want string) {
		t.Helper()
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
	check(r.Values["init"], "true")
	check(r.Children["app"].Children["sub"].Values["n"], "10")
	check(r.Values["s"], "v3")
	check(r.Children["hash"].Values["a"], "one")
	check(r.Children["hash"].Children["c"].Values["c1"], "three")
	if r.Children["hash"].Children["empty"] == nil {
		t.Error("empty sub-table lost")
	}
	if _, ok := r.Values["gone"]; ok {
		t.Error("deleted key present")
	}
	if r.Children["became"] == nil || r.Children["became"].Values["a"] != "one" {
		t.Error("value replaced by a table")
	}
	check(r.Values["was"], "value")
}

func TestRepairsLeftovers(t *testing.T) {
	dir := t.TempDir()
	sum := md5Hex("new")
	// Crash between removing the old value and renaming the new one.
	os.MkdirAll(filepath.Join(dir, "k"), 0o755)
	os.WriteFile(filepath.Join(dir, "k", ".tmp-"+sum), []byte("new"), 0o644)
	// Crash while writing a new value of an existing key.
	os.MkdirAll(filepath.Join(dir, "k2"), 0o755)
	os.WriteFile(filepath.Join(dir, "k2", md5Hex("old")), []byte("old"), 0o644)
	os.WriteFile(filepath.Join(dir, "k2", ".tmp-"+md5Hex("newer")), []byte("ne"), 0o644)
	// Corrupt value file, temporary directory, tombstones.
	os.MkdirAll(filepath.Join(dir, "bad"), 0o755)
	os.WriteFile(filepath.Join(dir, "bad", md5Hex("x")), []byte("y"), 0o644)
	os.MkdirAll(filepath.Join(dir, ".tmp-9", "a"), 0o755)
	os.MkdirAll(filepath.Join(dir, ".del-3", "a"), 0o755)
	os.MkdirAll(filepath.Join(dir, ".old-restored-7"), 0o755)
	os.WriteFile(filepath.Join(dir, ".old-restored-7", md5Hex("r")), []byte("r"), 0o644)
	os.MkdirAll(filepath.Join(dir, ".old-k2-8"), 0o755)

	s, r := open(t, dir)
	defer s.Close()
	if r.Values["k"] != "new" || r.Values["k2"] != "old" || r.Values["restored"] != "r" {
		t.Fatalf("values %v", r.Values)
	}
	if _, ok := r.Values["bad"]; ok {
		t.Fatal("corrupt value loaded")
	}
	for _, gone := range []string{".tmp-9", ".del-3", ".old-k2-8", "k2/.tmp-" + md5Hex("newer")} {
		if _, err := os.Stat(filepath.Join(dir, gone)); err == nil {
			t.Errorf("%s not removed", gone)
		}
	}
}

// The crash test re-executes the test binary as a writer child which
// acknowledges (on stdout) each write once Sync returned, and SIGKILLs it at
// random moments. After each kill the store must load, hold every
// acknowledged write, and hold nothing that was never written.

const crashEnv = "NODB_CRASH_CHILD_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(crashEnv); dir != "" {
		crashChild(dir)
		return
	}
	os.Exit(m.Run())
}

func crashValue(i int) string { return strings.Repeat(strconv.Itoa(i)+",", 1+i%40) }

func crashChild(dir string) {
	start, _ := strconv.Atoi(os.Getenv("NODB_CRASH_START"))
	s, _, err := Open(dir, nil)
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	w := bufio.NewWriter(os.Stdout)
	for i := start; ; i++ {
		s.Set([]string{"keys"}, "k"+strconv.Itoa(i), crashValue(i))
		s.Set(nil, "counter", strconv.Itoa(i))
		if i%5 == 0 {
			tree := NewNode()
			tree.Values["i"] = strconv.Itoa(i)
			tree.Children["nested"] = NewNode()
			tree.Children["nested"].Values["v"] = crashValue(i)
			s.SetTable([]string{"tables"}, "t"+strconv.Itoa(i), tree)
			s.Delete([]string{"tables"}, "t"+strconv.Itoa(i-10))
		}
		if err := s.Sync(); err != nil {
			fmt.Fprintln(w, "error", err)
			w.Flush()
			os.Exit(1)
		}
		fmt.Fprintln(w, "ok", i)
		w.Flush()
	}
}

func TestCrashSafety(t *testing.T) {
	if testing.Short() {
		t.Skip("re-executes the test binary")
	}
	dir := t.TempDir()
	next, leftovers := 0, 0
	defer func() { t.Logf("crash leftovers repaired across rounds: %d", leftovers) }()
	for round := 0; round < 5; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir, "NODB_CRASH_START="+strconv.Itoa(next))
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		acked := next - 1
		sc := bufio.NewScanner(out)
		killAt := 10 + round*7
		for sc.Scan() {
			line := sc.Text()
			if strings.HasPrefix(line, "error") {
				t.Fatalf("child: %s", line)
			}
			if n, err := strconv.Atoi(strings.TrimPrefix(line, "ok ")); err == nil {
				acked = n
			}
			if acked-next >= killAt {
				break
			}
		}
		// Kill while the child is busy writing the next operations.
		time.Sleep(time.Duration(round) * time.Millisecond)
		cmd.Process.Signal(syscall.SIGKILL)
		// Acknowledgements already written count as completed.
		for sc.Scan() {
			if n, err := strconv.Atoi(strings.TrimPrefix(sc.Text(), "ok ")); err == nil {
				acked = n
			}
		}
		cmd.Wait()
		leftovers += countLeftovers(dir)

		s, r, err := Open(dir, nil)
		if err != nil {
			t.Fatalf("round %d: reopen: %v", round, err)
		}
		verifyCrash(t, round, r, acked)
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		next = acked + 1
	}
}

func verifyCrash(t *testing.T, round int, r *Node, acked int) {
	t.Helper()
	keys := r.Children["keys"]
	if keys == nil {
		t.Fatalf("round %d: keys table missing", round)
	}
	for i := 0; i <= acked; i++ {
		if v := keys.Values["k"+strconv.Itoa(i)]; v != crashValue(i) {
			t.Fatalf("round %d: acknowledged k%d = %q", round, i, v)
		}
	}
	for k, v := range keys.Values {
		i, err := strconv.Atoi(strings.TrimPrefix(k, "k"))
		if err != nil || v != crashValue(i) || i > acked+1 {
			t.Fatalf("round %d: unexpected %s = %q (acked %d)", round, k, v, acked)
		}
	}
	c, err := strconv.Atoi(r.Values["counter"])
	if err != nil || c < acked || c > acked+1 {
		t.Fatalf("round %d: counter %q, acked %d", round, r.Values["counter"], acked)
	}
	tables := r.Children["tables"]
	for k, tb := range tables.Children {
		i, _ := strconv.Atoi(strings.TrimPrefix(k, "t"))
		if tb.Values["i"] != strconv.Itoa(i) || tb.Children["nested"] == nil || tb.Children["nested"].Values["v"] != crashValue(i) {
			t.Fatalf("round %d: table %s incomplete: %+v", round, k, tb)
		}
	}
	// The last acknowledged table must exist; tables deleted by an
	// acknowledged write must be gone.
	last := acked - acked%5
	if _, ok := tables.Children["t"+strconv.Itoa(last)]; !ok {
		t.Fatalf("round %d: acknowledged table t%d missing", round, last)
	}
	for k := range tables.Children {
		i, _ := strconv.Atoi(strings.TrimPrefix(k, "t"))
		if i <= last-10 {
			t.Fatalf("round %d: deleted table %s present (acked %d)", round, k, acked)
		}
	}
}

// countLeftovers counts the traces of interrupted operations a kill left.
func countLeftovers(dir string) int {
	n := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".") && p != dir {
			n++
		}
		return nil
	})
	return n
}
