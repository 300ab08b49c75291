package notify

import (
	"context"
	"time"
)

// SetGapWait shortens how long a missing post id holds the checkpoint back, for tests.
func SetGapWait(s *Service, d time.Duration) { s.gapWait = d }

// SetClock sets the clock hideGrace is measured by; set it before Run.
func SetClock(s *Service, now func() time.Time) { s.now = now }

// ReleaseHides is one sweep of the owed hide records.
func ReleaseHides(ctx context.Context, s *Service) error { return s.releaseHides(ctx) }

// HideState is the K2 of a post's hide record ("" if it has none).
func HideState(ctx context.Context, s *Service, postID int64) string {
	r, err := s.store.RecordByKey(ctx, kindHideReason, heldKey(postID))
	if err != nil {
		return ""
	}
	return r.K2
}
