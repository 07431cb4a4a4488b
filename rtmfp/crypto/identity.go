package crypto

import (
	"crypto/sha256"

	"nimbus/rtmfp/wire"
)

// Fingerprint is the SHA-256 of a certificate's canonical part (the options
// before the first marker; Flash certificates have none, so it is the whole
// certificate). For a Flash client it is the peer ID, SHA-256 of
// 81 02 1d 02 ‖ 128-byte public value; for our server it is the farID Flash
// sees.
func Fingerprint(cert wire.Certificate) [sha256.Size]byte {
	return sha256.Sum256(cert.Canonical())
}

// GroupAddress is a peer's NetGroup address, SHA-256(21 0f ‖ peerID), the
// hash of its canonical EPD.
func GroupAddress(peerID [sha256.Size]byte) [sha256.Size]byte {
	var epd [2 + sha256.Size]byte
	return sha256.Sum256(wire.AppendCanonicalEPD(epd[:0], peerID))
}
