//go:build race

package rtmfp

const raceEnabled = true
