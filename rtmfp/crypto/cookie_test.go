package crypto

import (
	"bytes"
	"net/netip"
	"sync"
	"testing"
	"time"
)

func TestCookies(t *testing.T) {
	jar, err := NewCookieJar(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddrPort("192.0.2.7:50000")
	b := netip.MustParseAddrPort("192.0.2.7:50001")
	now := jar.epoch.Add(10 * time.Second) // room to go back in time
	c := jar.Mint(now, a)
	if len(c) != CookieLen {
		t.Fatal("length")
	}
	check := func(cookie []byte, at time.Time, from netip.AddrPort, want CookieResult) {
		t.Helper()
		if got := jar.Check(cookie, at, from); got != want {
			t.Fatalf("Check = %v, want %v", got, want)
		}
	}
	check(c[:], now, a, CookieValid)
	check(c[:], now.Add(CookieLifetime), a, CookieValid)
	check(c[:], now.Add(CookieLifetime+time.Second), a, CookieBad)
	check(c[:], now.Add(-2*time.Second), a, CookieBad) // from the future
	check(c[:], now.Add(time.Second), b, CookieOtherAddress)
	// v4-mapped IPv6 is the same address.
	check(c[:], now, netip.AddrPortFrom(netip.AddrFrom16(a.Addr().As16()), a.Port()), CookieValid)
	check(c[:63], now, a, CookieBad)
	check(append(c[:], 0), now, a, CookieBad)
	// Any modified byte is detected: time and first MAC → bad, second
	// MAC → other address (it is the address binding that fails).
	for i := range CookieLen {
		m := c
		m[i] ^= 0x01
		want := CookieBad
		if i >= cookieTimeLen+cookieMACLen {
			want = CookieOtherAddress
		}
		check(m[:], now, a, want)
	}
	// Another jar (another process) rejects it.
	other, _ := NewCookieJar(nil, 0)
	if other.Check(c[:], now, a) != CookieBad {
		t.Fatal("foreign cookie accepted")
	}
	// Same second, same address: same cookie (retransmitted IHellos).
	if c2 := jar.Mint(now, a); !bytes.Equal(c2[:], c[:]) {
		t.Fatal("cookie not stable within a second")
	}
	if CookieOtherAddress.String() != "other-address" {
		t.Fatal("String")
	}
}

func TestCookiesConcurrent(t *testing.T) {
	jar, _ := NewCookieJar(nil, 0)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			addr := netip.AddrPortFrom(netip.MustParseAddr("2001:db8::1"), uint16(i))
			for range 200 {
				now := time.Now()
				c := jar.Mint(now, addr)
				if jar.Check(c[:], now, addr) != CookieValid {
					t.Error("concurrent cookie rejected")
					return
				}
			}
		})
	}
	wg.Wait()
}

var netipZero = netip.MustParseAddrPort("127.0.0.1:1")

func TestCookieLifetime(t *testing.T) {
	jar, err := NewCookieJar(nil, 3*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if jar.Lifetime() != 3*time.Second {
		t.Fatalf("Lifetime = %v", jar.Lifetime())
	}
	a := netip.MustParseAddrPort("198.51.100.1:1935")
	minted := jar.epoch.Add(10*time.Second + 300*time.Millisecond)
	c := jar.Mint(minted, a)
	for _, tc := range []struct {
		after time.Duration
		want  CookieResult
	}{
		{0, CookieValid},
		{2 * time.Second, CookieValid},
		{3 * time.Second, CookieValid},
		{3*time.Second + 600*time.Millisecond, CookieValid}, // clock second 13, age 3
		{3*time.Second + 700*time.Millisecond, CookieBad},   // clock second 14, age 4
		{4 * time.Second, CookieBad},
		{time.Minute, CookieBad}, // still well inside the 95 s default
	} {
		if got := jar.Check(c[:], minted.Add(tc.after), a); got != tc.want {
			t.Errorf("%v after minting: %v, want %v", tc.after, got, tc.want)
		}
	}
	def, _ := NewCookieJar(nil, 0)
	if def.Lifetime() != CookieLifetime {
		t.Fatalf("default lifetime %v", def.Lifetime())
	}
	if c := def.Mint(def.epoch, a); def.Check(c[:], def.epoch.Add(time.Minute), a) != CookieValid {
		t.Fatal("default jar refused a one-minute-old cookie")
	}
}
