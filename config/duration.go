package config

import (
	"fmt"
	"time"
)

// Duration is a time.Duration written in the config file as a Go duration
// string such as "15s", "150ms" or "1m30s".
type Duration time.Duration

// Std returns d as a time.Duration.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// String formats d like time.Duration does.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := time.ParseDuration(string(text))
	if err != nil {
		return fmt.Errorf("invalid duration %q (want a number with a unit, like \"15s\", \"150ms\" or \"1m30s\")", truncate(string(text)))
	}
	*d = Duration(v)
	return nil
}
