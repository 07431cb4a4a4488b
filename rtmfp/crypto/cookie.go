package crypto

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
	"net/netip"
	"sync"
	"time"
)

// Cookie constants.
const (
	// CookieLen is the cookie size everybody uses; librtmfp rejects others.
	CookieLen = 64
	// CookieLifetime is how long a cookie stays valid unless the jar is
	// given another lifetime (rtmfp-cpp MAX_COOKIE_LIFETIME; Cumulus/Mona
	// obsolete handshakes after 95 s).
	CookieLifetime = 95 * time.Second

	cookieTimeLen = 4
	cookieMACLen  = 30
)

// CookieResult classifies a cookie echoed in an IIKeying.
type CookieResult int

const (
	// CookieBad: forged, corrupted, expired or from another process.
	CookieBad CookieResult = iota
	// CookieValid: minted by us, in time, for this source address.
	CookieValid
	// CookieOtherAddress: genuine and in time but minted for another
	// address (NAT rebinding between RHello and IIKeying): answer with a
	// Cookie Change.
	CookieOtherAddress
)

func (r CookieResult) String() string {
	switch r {
	case CookieValid:
		return "valid"
	case CookieOtherAddress:
		return "other-address"
	}
	return "bad"
}

// CookieJar mints and checks stateless, address-bound, time-limited
// cookies, so a server keeps no state per IHello:
//
//	t(4, seconds since the jar was made) ‖
//	first30(HMAC(secret, "T" ‖ t)) ‖
//	first30(HMAC(secret, "A" ‖ t ‖ address(16) ‖ port(2)))
//
// The first MAC proves the cookie is ours and fresh; the second binds it to
// the address it was sent to. The secret is random per jar (per process).
// Ages are counted in whole seconds of the jar's clock, so a cookie is
// accepted while its age in those seconds is at most the lifetime.
// Safe for concurrent use.
type CookieJar struct {
	epoch    time.Time
	lifetime time.Duration
	macs     sync.Pool // *cookieSigner
}

// cookieSigner is a keyed HMAC with its scratch space, pooled so that
// minting and checking do not allocate.
type cookieSigner struct {
	h   hash.Hash
	sum [sha256.Size]byte
	msg [1 + cookieTimeLen + 16 + 2]byte
}

// NewCookieJar makes a jar with a fresh secret read from random
// (crypto/rand.Reader if nil) whose cookies stay valid for lifetime
// (CookieLifetime if lifetime <= 0).
func NewCookieJar(random io.Reader, lifetime time.Duration) (*CookieJar, error) {
	if random == nil {
		random = rand.Reader
	}
	secret := make([]byte, 32)
	if _, err := io.ReadFull(random, secret); err != nil {
		return nil, fmt.Errorf("rtmfp/crypto: cookie secret: %w", err)
	}
	if lifetime <= 0 {
		lifetime = CookieLifetime
	}
	j := &CookieJar{epoch: time.Now(), lifetime: lifetime}
	j.macs.New = func() any { return &cookieSigner{h: hmac.New(sha256.New, secret)} }
	return j, nil
}

// Lifetime is how long the jar's cookies stay valid.
func (j *CookieJar) Lifetime() time.Duration { return j.lifetime }

// seconds is the cookie clock: whole seconds since the jar was made, using
// the monotonic clock when now carries one (time.Now does).
func (j *CookieJar) seconds(now time.Time) uint32 {
	d := now.Sub(j.epoch)
	if d < 0 {
		return 0
	}
	return uint32(d / time.Second)
}

// sign computes both MACs of a cookie for time t and addr into out
// (2 × 30 bytes).
func (j *CookieJar) sign(out []byte, t []byte, addr netip.AddrPort) {
	s := j.macs.Get().(*cookieSigner)
	a := s.msg[:]

	s.h.Reset()
	a[0] = 'T'
	copy(a[1:], t)
	s.h.Write(a[:1+cookieTimeLen])
	copy(out[:cookieMACLen], s.h.Sum(s.sum[:0]))

	s.h.Reset()
	a[0] = 'A'
	ip := addr.Addr().Unmap().As16()
	copy(a[1+cookieTimeLen:], ip[:])
	binary.BigEndian.PutUint16(a[1+cookieTimeLen+16:], addr.Port())
	s.h.Write(a)
	copy(out[cookieMACLen:], s.h.Sum(s.sum[:0]))
	j.macs.Put(s)
}

// Mint returns a cookie for a client at addr.
func (j *CookieJar) Mint(now time.Time, addr netip.AddrPort) [CookieLen]byte {
	var c [CookieLen]byte
	binary.BigEndian.PutUint32(c[:], j.seconds(now))
	j.sign(c[cookieTimeLen:], c[:cookieTimeLen], addr)
	return c
}

// Check classifies a cookie received from addr; one older than the jar's
// lifetime is bad.
func (j *CookieJar) Check(cookie []byte, now time.Time, addr netip.AddrPort) CookieResult {
	if len(cookie) != CookieLen {
		return CookieBad
	}
	t := binary.BigEndian.Uint32(cookie)
	age := int64(j.seconds(now)) - int64(t)
	if age < 0 || time.Duration(age)*time.Second > j.lifetime {
		return CookieBad
	}
	var want [2 * cookieMACLen]byte
	j.sign(want[:], cookie[:cookieTimeLen], addr)
	if !hmac.Equal(want[:cookieMACLen], cookie[cookieTimeLen:cookieTimeLen+cookieMACLen]) {
		return CookieBad
	}
	if !hmac.Equal(want[cookieMACLen:], cookie[cookieTimeLen+cookieMACLen:]) {
		return CookieOtherAddress
	}
	return CookieValid
}
