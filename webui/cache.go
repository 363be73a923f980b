package webui

import (
	"container/list"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/causeway-ir/causeway/timeline"
	"github.com/labstack/echo/v4"
)

// answerCache keeps the JSON of recent answers, keyed by the case snapshot
// and the canonical request, so that going back to a view, or several tabs
// on one case, cost nothing. Concurrent requests for the same key compute
// once. A new snapshot (an import) makes new keys; old entries age out.
type answerCache struct {
	mu       sync.Mutex
	max      int // bytes
	size     int
	order    *list.List // of *cacheEntry, most recent first
	entries  map[string]*list.Element
	inflight map[string]*cacheCall
}

type cacheEntry struct {
	key  string
	body []byte
}

type cacheCall struct {
	done    chan struct{}
	body    []byte
	err     error
	waiters int                // requests waiting for it, under answerCache.mu
	cancel  context.CancelFunc // stops it when nobody waits any more
}

func newAnswerCache(maxBytes int) *answerCache {
	return &answerCache{max: maxBytes, order: list.New(), entries: map[string]*list.Element{}, inflight: map[string]*cacheCall{}}
}

// get returns the cached answer for key, computing it with compute when
// absent. Requests for the same key share one computation, which stops
// when the last of them gives up (a user zooming on leaves no work behind).
func (a *answerCache) get(ctx context.Context, key string, compute func(context.Context) (any, error)) ([]byte, error) {
	a.mu.Lock()
	if el, ok := a.entries[key]; ok {
		a.order.MoveToFront(el)
		body := el.Value.(*cacheEntry).body
		a.mu.Unlock()
		return body, nil
	}
	call, ok := a.inflight[key]
	if !ok {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		call = &cacheCall{done: make(chan struct{}), cancel: cancel}
		a.inflight[key] = call
		go func() {
			defer cancel()
			v, err := compute(cctx)
			if err == nil {
				call.body, err = json.Marshal(v)
			}
			call.err = err
			a.mu.Lock()
			if a.inflight[key] == call {
				delete(a.inflight, key)
			}
			if err == nil && len(call.body) <= a.max/8 {
				a.entries[key] = a.order.PushFront(&cacheEntry{key: key, body: call.body})
				a.size += len(call.body)
				for a.size > a.max {
					last := a.order.Back()
					e := last.Value.(*cacheEntry)
					a.order.Remove(last)
					delete(a.entries, e.key)
					a.size -= len(e.body)
				}
			}
			a.mu.Unlock()
			close(call.done)
		}()
	}
	call.waiters++
	a.mu.Unlock()
	select {
	case <-call.done:
		return call.body, call.err
	case <-ctx.Done():
		a.mu.Lock()
		if call.waiters--; call.waiters == 0 {
			// Nobody wants it now: stop, and let the next request start anew.
			call.cancel()
			if a.inflight[key] == call {
				delete(a.inflight, key)
			}
		}
		a.mu.Unlock()
		return nil, ctx.Err()
	}
}

// answer serves the JSON of compute for this request, from the cache when
// the same request on the same snapshot was answered before.
func (s *Server) answer(c echo.Context, cs *timeline.Case, compute func(context.Context) (any, error)) error {
	r := c.Request()
	key := fmt.Sprintf("%p %s?%s", cs, r.URL.Path, r.URL.Query().Encode())
	body, err := s.cache.get(r.Context(), key, compute)
	if err != nil {
		return queryError(err)
	}
	return c.JSONBlob(http.StatusOK, body)
}

// warm computes, in the background, the answers the app asks for first on
// the whole case, and the graph behind findings, so that the first paint
// does not wait for them.
func (s *Server) warm() {
	for _, path := range []string{
		"/api/lanes?buckets=300&group=source",
		"/api/events?limit=200",
		"/api/facets?top=6",
		"/api/findings",
	} {
		r, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, path, nil)
		r.Header.Set("Authorization", "Bearer "+s.auth.token)
		r.RemoteAddr = "127.0.0.1:0"
		s.echo.ServeHTTP(discard{header: http.Header{}}, r)
	}
}

// discard is a ResponseWriter that drops the answer (warm-up requests).
type discard struct{ header http.Header }

func (d discard) Header() http.Header         { return d.header }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}
