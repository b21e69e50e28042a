package service

import (
	"context"
	"sync"
)

// Wait waits for wg within a stop's deadline: nil once every goroutine of
// wg has returned, ctx.Err() if ctx ends first (the goroutines go on; the
// caller decides what to do about them, e.g. close what they wait on).
func Wait(ctx context.Context, wg *sync.WaitGroup) error {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
