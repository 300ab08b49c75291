package search

import "context"

// Fill fills the indexer's queue to the brim, as a burst of writes faster than the
// index would.
func (s *Service) Fill() {
	for len(s.queue) < cap(s.queue) {
		s.queue <- 0
	}
}

// Drain empties the queue in one step of the indexing loop.
func (s *Service) Drain(ctx context.Context) {
	var ids []int64
	for len(s.queue) > 0 {
		if id := <-s.queue; id != 0 {
			ids = append(ids, id)
		}
	}
	s.step(ctx, ids)
}
