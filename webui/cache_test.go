package webui

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestAnswerCacheSharesAndCancels(t *testing.T) {
	t.Parallel()
	a := newAnswerCache(1 << 20)
	var runs atomic.Int32
	release := make(chan struct{})
	slow := func(ctx context.Context) (any, error) {
		runs.Add(1)
		select {
		case <-release:
			return map[string]int{"n": 1}, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	// Two requests for one key share one computation.
	var wg sync.WaitGroup
	bodies := make([]string, 2)
	for i := range 2 {
		wg.Go(func() {
			b, err := a.get(t.Context(), "k", slow)
			if err != nil {
				t.Error(err)
			}
			bodies[i] = string(b)
		})
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	if runs.Load() != 1 || bodies[0] != `{"n":1}` || bodies[1] != bodies[0] {
		t.Fatalf("runs %d, bodies %q", runs.Load(), bodies)
	}
	// Cached now.
	if b, err := a.get(t.Context(), "k", slow); err != nil || string(b) != `{"n":1}` || runs.Load() != 1 {
		t.Fatalf("cached get: %q %v, runs %d", b, err, runs.Load())
	}

	// A computation nobody waits for any more is stopped.
	stopped := make(chan struct{})
	never := func(ctx context.Context) (any, error) {
		<-ctx.Done()
		close(stopped)
		return nil, ctx.Err()
	}
	ctx, cancel := context.WithCancel(t.Context())
	go func() { time.Sleep(30 * time.Millisecond); cancel() }()
	if _, err := a.get(ctx, "j", never); !errors.Is(err, context.Canceled) {
		t.Fatalf("abandoned get: %v", err)
	}
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("the abandoned computation kept running")
	}
	// Errors are not cached: the next request computes again.
	b, err := a.get(t.Context(), "j", func(context.Context) (any, error) { return 2, nil })
	if err != nil || string(b) != "2" {
		t.Errorf("after an abandoned computation: %q %v", b, err)
	}
}
