package notify

import "time"

// SetGapWait shortens how long a missing post id holds the checkpoint back, for tests.
func SetGapWait(s *Service, d time.Duration) { s.gapWait = d }
