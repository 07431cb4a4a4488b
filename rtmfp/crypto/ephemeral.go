package crypto

import (
	"io"
	"sync"
	"time"
)

// maxReusedGroups bounds the key pairs an EphemeralKeys keeps: one per
// group, and there are three groups; more would only come from a caller
// building its own Group values, whose keys are then simply not reused.
const maxReusedGroups = 8

// EphemeralKeys hands out the ephemeral Diffie-Hellman key pairs of
// responder handshakes. With a zero reuse window every call generates a
// fresh pair (forward secrecy per session, as Cumulus and MonaServer do).
// With a positive window a pair serves every handshake of its group for
// at most that long after it was generated, which saves one modular
// exponentiation per handshake; whoever learns that private key can
// decrypt every session keyed with it. Safe for concurrent use.
type EphemeralKeys struct {
	reuse  time.Duration
	random io.Reader

	mu    sync.Mutex
	pairs []reusedKey // at most maxReusedGroups
}

type reusedKey struct {
	key  *PrivateKey
	made time.Time
}

// NewEphemeralKeys returns a source of ephemeral key pairs drawn from
// random (crypto/rand.Reader if nil), each reused for at most reuse (fresh
// every time if reuse <= 0). random must be safe for concurrent use.
func NewEphemeralKeys(random io.Reader, reuse time.Duration) *EphemeralKeys {
	if reuse < 0 {
		reuse = 0
	}
	return &EphemeralKeys{reuse: reuse, random: random}
}

// Reuse is the reuse window; 0 means a fresh pair per call.
func (k *EphemeralKeys) Reuse() time.Duration { return k.reuse }

// Get returns a key pair of group g for a handshake at now: the current
// pair if it was generated less than the reuse window before now, a new
// one otherwise. The generation runs outside the lock, so concurrent
// callers never wait for another's exponentiation; when several replace an
// expired pair at once, the most recent one stays.
func (k *EphemeralKeys) Get(g *Group, now time.Time) (*PrivateKey, error) {
	if k.reuse == 0 {
		return GenerateKey(g, k.random)
	}
	k.mu.Lock()
	for _, p := range k.pairs {
		if p.key.Group == g && now.Sub(p.made) < k.reuse {
			k.mu.Unlock()
			return p.key, nil
		}
	}
	k.mu.Unlock()

	key, err := GenerateKey(g, k.random)
	if err != nil {
		return nil, err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	for i, p := range k.pairs {
		if p.key.Group == g {
			if now.After(p.made) {
				k.pairs[i] = reusedKey{key: key, made: now}
			}
			return key, nil
		}
	}
	if len(k.pairs) < maxReusedGroups {
		k.pairs = append(k.pairs, reusedKey{key: key, made: now})
	}
	return key, nil
}
