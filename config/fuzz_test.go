package config

import (
	"errors"
	"os"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the loader as a config file: it must never
// panic, and it must either return valid Options or a one-line *Error naming
// the file.
func FuzzLoad(f *testing.F) {
	// Every documented key, without the prose: small seeds keep the fuzzer
	// mutating rather than minimizing.
	if shipped, err := os.ReadFile(shippedConfig); err == nil {
		var live []string
		for _, l := range strings.Split(uncomment(string(shipped)), "\n") {
			if l != "" && !strings.HasPrefix(l, "#") {
				live = append(live, l)
			}
		}
		f.Add([]byte(strings.Join(live, "\n")))
	}
	for _, s := range []string{
		"",
		"[rtmfp]\nmax_sessions = -5\n",
		"[rtmfp]\nkepalive = 1\n",
		"[rtmfp.handshake]\ncookie_lifetime = \"1x\"\n",
		"[[app]]\nname = 'a'\n[[app.route]]\npath = \"/\"\n",
		"log = { level = \"debug\", format = 'json' }\n",
		"rtmfp.listen = [\n\"0.0.0.0:1935\", # c\n 1]\n",
		"s = \"\"\"\n[x]\n\"\"\"\nt = '''\n'''\n",
		"a.\"b.c\".'d' = 1979-05-27T07:32:00Z\n",
		"x = [[[[{a=[{b=1}]}]]]]\n",
		"[a]\n[a.b]\n[[a.c]]\n[[a.c]]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		opts, err := Parse("fuzz.toml", data)
		if err == nil {
			if verr := opts.Validate(); verr != nil {
				t.Fatalf("Parse accepted options that Validate rejects: %v", verr)
			}
			return
		}
		msg := err.Error()
		if strings.ContainsAny(msg, "\r\n") {
			t.Fatalf("error message is not one line: %q", msg)
		}
		var ce *Error
		if !errors.As(err, &ce) {
			t.Fatalf("error is not a *Error: %v", err)
		}
		if !strings.HasPrefix(msg, "fuzz.toml") {
			t.Fatalf("error does not name the file: %q", msg)
		}
		if !errors.Is(err, ErrSyntax) && !errors.Is(err, ErrUnknownKey) && !errors.Is(err, ErrType) && !errors.Is(err, ErrValue) {
			t.Fatalf("error has no sentinel kind: %v", err)
		}
	})
}
