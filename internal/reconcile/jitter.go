package reconcile

import (
	"math/rand/v2"
	"time"
)

// DefaultJitterPercentage spreads the requeue after a success over
// spec.interval ± 5%, as Flux's --interval-jitter-percentage default, so
// objects created together do not stay in lockstep.
const DefaultJitterPercentage = 5

// Jitter returns d moved by (2*f-1)*percent% of d, f in [0, 1): a duration
// within ±percent% of d. A percent outside (0, 100) or a non-positive d
// leaves d unchanged.
func Jitter(d time.Duration, percent int, f float64) time.Duration {
	if d <= 0 || percent <= 0 || percent >= 100 {
		return d
	}
	return d + time.Duration(float64(d)*float64(percent)/100*(2*f-1))
}

// jittered spreads d by percent (0 meaning DefaultJitterPercentage,
// negative none) with a random factor.
func jittered(d time.Duration, percent int) time.Duration {
	if percent == 0 {
		percent = DefaultJitterPercentage
	}
	return Jitter(d, percent, rand.Float64())
}
