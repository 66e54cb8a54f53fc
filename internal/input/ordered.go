package input

import (
	"context"
	"sync"
)

// inOrder runs work(worker, i) for every i below n on threads workers, and
// calls done(i) on the caller's goroutine in order of i, each once work(_, i)
// has returned. Workers stay within a window of 4 items per thread ahead of
// done, so that what work keeps for done stays bounded. It stops at the
// first error of done or at the end of ctx.
func inOrder(ctx context.Context, n, threads int, work func(worker, i int), done func(i int) error) error {
	finished := make([]chan struct{}, n)
	for i := range finished {
		finished[i] = make(chan struct{})
	}
	ctx, cancel := context.WithCancel(ctx)
	items := make(chan int)
	var wg sync.WaitGroup
	// Stop the feeder first, then wait for the workers, so that an early
	// return leaves no goroutine behind and no item worked on for nothing.
	defer func() {
		cancel()
		wg.Wait()
	}()
	for w := range threads {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range items {
				work(w, i)
				close(finished[i])
			}
		}()
	}
	window := make(chan struct{}, 4*threads)
	go func() {
		defer close(items)
		for i := 0; i < n; i++ {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case items <- i:
			case <-ctx.Done():
				return
			}
		}
	}()
	for i := range n {
		select {
		case <-finished[i]:
		case <-ctx.Done():
			return ctx.Err()
		}
		if err := done(i); err != nil {
			return err
		}
		<-window
	}
	return nil
}
