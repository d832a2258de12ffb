package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/naversync/naversync/service"
)

// syncEvents handles GET /syncs/{id}/events: a Server-Sent Events stream with one
// "event: sync" per change of the sync (the first is its state now), ending after the event
// that shows a terminal status. A comment line every heartbeat keeps proxies from closing an
// idle stream. An unknown sync is a 404 problem, answered before the stream starts.
func (h *handler) syncEvents(w http.ResponseWriter, r *http.Request) {
	id, ok := h.pathID(w, r)
	if !ok {
		return
	}
	ctx, cancel, down := h.untilShutdown(r.Context())
	rc := http.NewResponseController(w)

	var (
		mu      sync.Mutex // serializes writes of events and heartbeats
		started bool
		seq     int
		wg      sync.WaitGroup
	)
	defer wg.Wait() // nothing may write to w after the handler returns
	defer cancel()

	start := func() error {
		started = true
		if err := startEventStream(w, rc); err != nil {
			return err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.heartbeats(ctx, cancel, &mu, w, rc)
		}()
		return nil
	}
	err := h.svc.Follow(ctx, id, func(s service.Sync) error {
		data, err := json.Marshal(s)
		if err != nil {
			return fmt.Errorf("encode sync: %w", err)
		}
		mu.Lock()
		defer mu.Unlock()
		if !started {
			if err := start(); err != nil {
				return fmt.Errorf("start stream: %w", err)
			}
		}
		seq++
		if _, err := fmt.Fprintf(w, "id: %d\nevent: sync\ndata: %s\n\n", seq, data); err != nil {
			return fmt.Errorf("write event: %w", err)
		}
		return rc.Flush()
	})
	cancel()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	switch {
	case !started && down():
		writeProblem(w, r, kindUnavailable, msgShuttingDown, nil)
	case !started && err != nil:
		h.fail(w, r, err)
	case down():
		_ = writeShutdownEvent(w, rc, seq+1)
	case err != nil && r.Context().Err() == nil && !errors.Is(err, context.Canceled):
		h.log.WarnContext(r.Context(), "event stream ended early", "request_id", middleware.GetReqID(r.Context()), "sync_id", id, "err", err)
	}
}

// untilShutdown returns a context that ends with parent or when the server starts shutting
// down, its cancel, and a func that reports (once the context ended) whether the shutdown ended it.
func (h *handler) untilShutdown(parent context.Context) (context.Context, context.CancelFunc, func() bool) {
	ctx, cancel := context.WithCancel(parent)
	var down atomic.Bool
	go func() {
		select {
		case <-h.shutdown:
			down.Store(true)
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel, func() bool { return down.Load() && parent.Err() == nil }
}

// writeShutdownEvent ends a stream because the server shuts down: the client should reconnect
// (another replica, or this one after its restart) after the retry delay.
func writeShutdownEvent(w http.ResponseWriter, rc *http.ResponseController, seq int) error {
	if _, err := fmt.Fprintf(w, "id: %d\nevent: shutdown\ndata: {\"reason\":\"the server is shutting down; reconnect\"}\nretry: 1000\n\n", seq); err != nil {
		return fmt.Errorf("write event: %w", err)
	}
	return rc.Flush()
}

// heartbeats writes an SSE comment every h.heartbeat until ctx ends; a failed write (the
// client went away) cancels the stream.
func (h *handler) heartbeats(ctx context.Context, cancel context.CancelFunc, mu *sync.Mutex, w http.ResponseWriter, rc *http.ResponseController) {
	t := time.NewTicker(h.heartbeat)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		mu.Lock()
		_, err := fmt.Fprint(w, ": heartbeat\n\n")
		if err == nil {
			err = rc.Flush()
		}
		mu.Unlock()
		if err != nil {
			cancel()
			return
		}
	}
}
