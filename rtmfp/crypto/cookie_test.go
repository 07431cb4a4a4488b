package crypto

import (
	"bytes"
	"net/netip"
	"sync"
	"testing"
	"time"
)

func TestCookies(t *testing.T) {
	jar, err := NewCookieJar(nil)
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
	other, _ := NewCookieJar(nil)
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
	jar, _ := NewCookieJar(nil)
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
