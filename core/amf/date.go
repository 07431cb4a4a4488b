package amf

import (
	"math"
	"time"
)

// maxDateMillis is the ECMAScript time value limit (±100 000 000 days
// around 1970); Flash cannot produce dates beyond it.
const maxDateMillis = 8.64e15

// dateFromMillis converts an AMF date (milliseconds since the Unix epoch,
// as a double) to a time.Time in UTC. Like ECMAScript's TimeClip it drops
// the fractional part; NaN and values outside the ECMAScript range are an
// "Invalid Date", represented by the zero time.Time.
func dateFromMillis(ms float64) time.Time {
	if math.IsNaN(ms) || ms > maxDateMillis || ms < -maxDateMillis {
		return time.Time{}
	}
	return time.UnixMilli(int64(ms)).UTC()
}

// dateToMillis is the inverse of dateFromMillis: the zero time.Time is
// written as NaN (Invalid Date), anything else as whole milliseconds.
func dateToMillis(t time.Time) float64 {
	if t.IsZero() {
		return math.NaN()
	}
	return float64(t.UnixMilli())
}
