package oauth

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// devicePolls remembers when each waiting device code was last polled, so
// that a device polling faster than the interval is told slow_down (RFC
// 8628 §3.5) instead of being answered as often as it asks. It is per
// replica: a device that spreads its polls over replicas is slowed down by
// each, which bounds it all the same.
type devicePolls struct {
	mu   sync.Mutex
	last map[string]time.Time
	// swept is when codes that expired were last forgotten: once a
	// lifetime, not on every poll.
	swept time.Time
}

// errSlowDown is the library's cue for slow_down: it answers an error of
// the storage that wraps context.DeadlineExceeded with it.
var errSlowDown = fmt.Errorf("the device polls faster than every %s: %w", deviceConfig.PollInterval, context.DeadlineExceeded)

// poll records a poll of the device code hash at now, and refuses it with
// errSlowDown when the last one came less than the interval before. Once a
// code lifetime it forgets the codes polled last a lifetime ago.
func (d *devicePolls) poll(hash string, now time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.last == nil {
		d.last = map[string]time.Time{}
	}
	if now.Sub(d.swept) > deviceConfig.Lifetime {
		for h, at := range d.last {
			if now.Sub(at) > deviceConfig.Lifetime {
				delete(d.last, h)
			}
		}
		d.swept = now
	}
	last, seen := d.last[hash]
	d.last[hash] = now
	if seen && now.Sub(last) < deviceConfig.PollInterval {
		return errSlowDown
	}
	return nil
}
