package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadMissingFile(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope.toml")

	opts, err := Load(missing, false)
	if err != nil {
		t.Fatalf("Load(missing, false): %v", err)
	}
	if !reflect.DeepEqual(opts, Default()) {
		t.Errorf("Load(missing, false) = %+v, want defaults", opts)
	}

	_, err = Load(missing, true)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load(missing, true) error = %v, want fs.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), "nope.toml") {
		t.Errorf("error %q does not name the file", err)
	}
}

func TestLoadOverridesOnlyWhatIsSet(t *testing.T) {
	path := writeFile(t, "c.toml", `
[rtmfp]
listen = ["127.0.0.1:0"]
max_sessions = 10

[rtmfp.handshake]
ihello_rate = 2.5
keypair_reuse = "30s"

[log]
format = "json"
`)
	opts, err := Load(path, true)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.RTMFP.Listen = []string{"127.0.0.1:0"}
	want.RTMFP.MaxSessions = 10
	want.RTMFP.Handshake.IHelloRate = 2.5
	want.RTMFP.Handshake.KeypairReuse = Duration(30 * time.Second)
	want.Log.Format = "json"
	if !reflect.DeepEqual(opts, want) {
		t.Errorf("got  %+v\nwant %+v", opts, want)
	}
}

func TestLoadIntegerIntoFloat(t *testing.T) {
	opts, err := Parse("c.toml", []byte("[rtmfp.handshake]\nihello_rate = 5\n"))
	if err != nil {
		t.Fatal(err)
	}
	if opts.RTMFP.Handshake.IHelloRate != 5 {
		t.Errorf("ihello_rate = %v, want 5", opts.RTMFP.Handshake.IHelloRate)
	}
}

func TestLoadDottedAndInlineForms(t *testing.T) {
	opts, err := Parse("c.toml", []byte(`
rtmfp.handshake.cookie_lifetime = "30s"
log = { level = "debug", format = "json" }
`))
	if err != nil {
		t.Fatal(err)
	}
	if opts.RTMFP.Handshake.CookieLifetime.Std() != 30*time.Second || opts.Log.Level != "debug" || opts.Log.Format != "json" {
		t.Errorf("got %+v", opts)
	}
}

func TestLoadFileTooLarge(t *testing.T) {
	big := "# " + strings.Repeat("x", MaxFileSize) + "\n"
	path := writeFile(t, "big.toml", big)
	_, err := Load(path, true)
	if !errors.Is(err, ErrSyntax) || !strings.Contains(err.Error(), "too large") {
		t.Fatalf("err = %v, want a too-large ErrSyntax", err)
	}
}

// TestLoadErrors pins the exact one-line message of every error form.
func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		toml string
		want string // the whole message
		kind error
	}{
		{
			name: "unknown key top level",
			toml: "# comment\n\nverbose = true\n",
			want: `config.toml:3: unknown key "verbose" at top level`,
			kind: ErrUnknownKey,
		},
		{
			name: "unknown key in table",
			toml: "[rtmfp]\nmax_sessions = 5\n\n# typo below\nkepalive = \"5s\"\n",
			want: `config.toml:5: unknown key "kepalive" in [rtmfp]`,
			kind: ErrUnknownKey,
		},
		{
			name: "unknown key in nested table",
			toml: "[rtmfp]\nloops = 1\n[rtmfp.handshake]\ncookie_lifetime = \"10s\"\nihello_burts = 4\n",
			want: `config.toml:5: unknown key "ihello_burts" in [rtmfp.handshake] (did you mean "ihello_burst"?)`,
			kind: ErrUnknownKey,
		},
		{
			name: "unknown key as dotted key",
			toml: "[rtmfp]\nhandshake.max_dh = 3\n",
			want: `config.toml:2: unknown key "max_dh" in [rtmfp.handshake]`,
			kind: ErrUnknownKey,
		},
		{
			name: "unknown key in inline table",
			toml: "[rtmfp]\nloops = 1\nhandshake = { cookie_lifetime = \"9s\",\n  bogus = 1 }\n",
			want: `config.toml:4: unknown key "bogus" in [rtmfp.handshake]`,
			kind: ErrUnknownKey,
		},
		{
			name: "unknown table",
			toml: "[log]\nlevel = \"info\"\n\n[rtmfpp]\nloops = 1\n",
			want: `config.toml:4: unknown table [rtmfpp] (did you mean "rtmfp"?)`,
			kind: ErrUnknownKey,
		},
		{
			name: "unknown nested table",
			toml: "[rtmfp]\nloops = 1\n[rtmfp.handshak]\nx = 1\n",
			want: `config.toml:3: unknown table [rtmfp.handshak] (did you mean "handshake"?)`,
			kind: ErrUnknownKey,
		},
		{
			name: "unknown array of tables",
			toml: "[log]\n[[app]]\nname = \"a\"\n",
			want: `config.toml:2: unknown table [[app]]`,
			kind: ErrUnknownKey,
		},
		{
			name: "key differing only in case",
			toml: "[rtmfp]\nMax_Sessions = 5\n",
			want: `config.toml:2: unknown key "Max_Sessions" in [rtmfp] (did you mean "max_sessions"?)`,
			kind: ErrUnknownKey,
		},
		{
			name: "bad duration",
			toml: "[rtmfp]\nloops = 2\nkeepalive_server = \"15x\"\n",
			want: `config.toml:3: rtmfp.keepalive_server: invalid duration "15x" (want a number with a unit, like "15s", "150ms" or "1m30s")`,
			kind: ErrValue,
		},
		{
			name: "duration without unit",
			toml: "[www]\nreload_debounce = 150\n",
			want: `config.toml:2: www.reload_debounce: expected a duration string such as "15s", got integer 150`,
			kind: ErrType,
		},
		{
			name: "string for number",
			toml: "\n[rtmfp]\nmax_sessions = \"lots\"\n",
			want: `config.toml:3: rtmfp.max_sessions: expected an integer, got string "lots"`,
			kind: ErrType,
		},
		{
			name: "number for string",
			toml: "[www]\ndir = 7\n",
			want: `config.toml:2: www.dir: expected a string, got integer 7`,
			kind: ErrType,
		},
		{
			name: "float for integer",
			toml: "[limits]\nevent_queue = 1.5\n",
			want: `config.toml:2: limits.event_queue: expected an integer, got float 1.5`,
			kind: ErrType,
		},
		{
			name: "string for bool",
			toml: "[www]\nreload = \"yes\"\n",
			want: `config.toml:2: www.reload: expected a boolean (true or false), got string "yes"`,
			kind: ErrType,
		},
		{
			name: "scalar for array",
			toml: "[rtmfp]\nlisten = \"0.0.0.0:1935\"\n",
			want: `config.toml:2: rtmfp.listen: expected an array, got string "0.0.0.0:1935"`,
			kind: ErrType,
		},
		{
			name: "wrong element type in multi-line array",
			toml: "[rtmfp]\nlisten = [\n  \"0.0.0.0:1935\",\n  1935,\n]\n",
			want: `config.toml:4: rtmfp.listen[1]: expected a string, got integer 1935`,
			kind: ErrType,
		},
		{
			name: "scalar for table",
			toml: "rtmfp = 5\n",
			want: `config.toml:1: rtmfp: expected a table, got integer 5`,
			kind: ErrType,
		},
		{
			name: "out of range",
			toml: "[rtmfp]\n\nmax_sessions = -5\n",
			want: `config.toml:3: rtmfp.max_sessions: must be > 0, got -5`,
			kind: ErrValue,
		},
		{
			name: "out of range in nested table",
			toml: "[rtmfp.handshake]\nihello_burst = 0\n",
			want: `config.toml:2: rtmfp.handshake.ihello_burst: must be > 0, got 0`,
			kind: ErrValue,
		},
		{
			name: "above maximum",
			toml: "[limits]\nmax_connect_args = 100000\n",
			want: `config.toml:2: limits.max_connect_args: must be <= 1024, got 100000`,
			kind: ErrValue,
		},
		{
			name: "negative duration",
			toml: "[rtmfp.handshake]\nkeypair_reuse = \"-1s\"\n",
			want: `config.toml:2: rtmfp.handshake.keypair_reuse: must not be negative, got -1s`,
			kind: ErrValue,
		},
		{
			name: "cross-field constraint",
			toml: "[rtmfp]\nkeepalive_server = \"20s\"\nidle_timeout = \"30s\"\n",
			want: `config.toml:3: rtmfp.idle_timeout: must be more than twice rtmfp.keepalive_server (20s), got 30s`,
			kind: ErrValue,
		},
		{
			name: "cross-field constraint with idle_timeout left at default",
			toml: "[rtmfp]\nkeepalive_server = \"1m\"\n",
			want: `config.toml: rtmfp.idle_timeout: must be more than twice rtmfp.keepalive_server (1m0s), got 1m35s`,
			kind: ErrValue,
		},
		{
			name: "enum",
			toml: "[log]\nlevel = \"verbose\"\n",
			want: `config.toml:2: log.level: must be one of ["debug" "info" "warn" "error"], got "verbose"`,
			kind: ErrValue,
		},
		{
			name: "bad listen address",
			toml: "[rtmfp]\nlisten = [\"0.0.0.0:1935\", \"localhost\"]\n",
			want: `config.toml:2: rtmfp.listen[1]: invalid address "localhost": want "host:port", e.g. "0.0.0.0:1935" or "[::]:1935"`,
			kind: ErrValue,
		},
		{
			name: "duplicate listen address",
			toml: "[rtmfp]\nlisten = [\n\"0.0.0.0:1935\",\n\"0.0.0.0:1935\"]\n",
			want: `config.toml:4: rtmfp.listen[1]: duplicate address "0.0.0.0:1935"`,
			kind: ErrValue,
		},
		{
			name: "earliest problem wins",
			toml: "[rtmfp]\nloops = -1\nfoo = 1\n",
			want: `config.toml:2: rtmfp.loops: must be >= 0, got -1`,
			kind: ErrValue,
		},
		{
			name: "unknown key before a type error",
			toml: "[rtmfp]\nfoo = 1\n[log]\nlevel = 3\n",
			want: `config.toml:2: unknown key "foo" in [rtmfp]`,
			kind: ErrUnknownKey,
		},
		{
			name: "syntax error",
			toml: "[rtmfp]\nloops = 1\nmax_sessions = = 3\n",
			want: `config.toml:3: expected value but found '=' instead`,
			kind: ErrSyntax,
		},
		{
			name: "duplicate key",
			toml: "[log]\nlevel = \"info\"\nlevel = \"warn\"\n",
			want: `config.toml:3: Key 'log.level' has already been defined.`,
			kind: ErrSyntax,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("config.toml", []byte(tt.toml))
			if err == nil {
				t.Fatalf("no error, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("error\n got: %s\nwant: %s", err, tt.want)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("errors.Is(err, %v) = false", tt.kind)
			}
			var ce *Error
			if !errors.As(err, &ce) || ce.File != "config.toml" {
				t.Errorf("error is not a *Error naming the file: %#v", err)
			}
		})
	}
}

func TestLoadErrorNamesThePathGiven(t *testing.T) {
	path := writeFile(t, "nimbus.toml", "[rtmfp]\nmax_sessions = -5\n")
	_, err := Load(path, true)
	want := path + ":2: rtmfp.max_sessions: must be > 0, got -5"
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
}

func TestDurationText(t *testing.T) {
	var d Duration
	if err := d.UnmarshalText([]byte("1m30s")); err != nil || d.Std() != 90*time.Second {
		t.Fatalf("UnmarshalText(1m30s) = %v, %v", d, err)
	}
	b, _ := d.MarshalText()
	if string(b) != "1m30s" {
		t.Errorf("MarshalText = %q", b)
	}
	if err := d.UnmarshalText([]byte("15")); err == nil {
		t.Error("UnmarshalText(15) accepted a duration without unit")
	}
}

func TestValidateDefaults(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
}

func TestValidateWithoutFile(t *testing.T) {
	o := Default()
	o.Limits.EventQueue = 0
	err := o.Validate()
	if err == nil || err.Error() != "limits.event_queue: must be >= 16, got 0" {
		t.Fatalf("Validate() = %v", err)
	}
	if !errors.Is(err, ErrValue) {
		t.Error("not ErrValue")
	}
}

func TestValidateListenHosts(t *testing.T) {
	for addr, ok := range map[string]bool{
		"0.0.0.0:1935":      true,
		"[::]:1935":         true,
		":1935":             true,
		"localhost:0":       true,
		"example.com:1935":  true,
		"[fe80::1%eth0]:80": true,
		"1.2.3.4:65536":     false,
		"1.2.3.4:-1":        false,
		"1.2.3.4":           false,
		"bad host:1935":     false,
		"a..b:1935":         false,
	} {
		o := Default()
		o.RTMFP.Listen = []string{addr}
		if err := o.Validate(); (err == nil) != ok {
			t.Errorf("listen %q: Validate() = %v, want ok=%v", addr, err, ok)
		}
	}
}

func TestEffectiveCounts(t *testing.T) {
	d := Default()
	if d.RTMFP.EffectiveLoops() < 1 || d.RTMFP.Handshake.EffectiveMaxConcurrentDH() < 1 {
		t.Error("0 must resolve to GOMAXPROCS")
	}
	d.RTMFP.Loops = 3
	d.RTMFP.Handshake.MaxConcurrentDH = 7
	if d.RTMFP.EffectiveLoops() != 3 || d.RTMFP.Handshake.EffectiveMaxConcurrentDH() != 7 {
		t.Error("explicit values must be kept")
	}
}
