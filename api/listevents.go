package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/chi/v5/middleware"

	"github.com/naversync/naversync/service"
)

// Pacing of the sync list stream.
const (
	// listPollInterval is how often the list is read again without a local change, to see
	// changes made by other replicas.
	listPollInterval = 2 * time.Second
	// listMinGap is the least time between two reads of the list: changes arriving faster
	// are coalesced (at most ~4 events per second).
	listMinGap = 250 * time.Millisecond
)

// errStreamCursor refuses ?cursor on the list stream, which always follows the first page.
var errStreamCursor = invalid("cursor", "absent: the stream follows the first page")

// syncListEvents handles GET /syncs/events: a Server-Sent Events stream of the first page of
// GET /syncs with the same filters. Each "event: syncs" carries the list as GET /syncs answers
// it; the first is sent at once, the next whenever the list differs from the last one sent,
// checked on every change in this process and every listPollInterval, at most once per
// listMinGap. It ends when the client goes away; a bad filter is a 400 problem before it starts.
func (h *handler) syncListEvents(w http.ResponseWriter, r *http.Request) {
	f, err := syncFilter(r)
	if err == nil && f.Cursor != "" {
		err = errStreamCursor
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	changes, unsubscribe := h.svc.Changes()
	defer unsubscribe()
	last, err := h.syncPage(r.Context(), f)
	if err != nil {
		h.fail(w, r, err)
		return
	}

	ctx, cancel, down := h.untilShutdown(r.Context())
	rc := http.NewResponseController(w)
	var (
		mu  sync.Mutex // serializes writes of events and heartbeats
		seq int
		wg  sync.WaitGroup
	)
	defer wg.Wait() // nothing may write to w after the handler returns
	defer cancel()

	send := func(data []byte) error {
		mu.Lock()
		defer mu.Unlock()
		seq++
		if _, err := fmt.Fprintf(w, "id: %d\nevent: syncs\ndata: %s\n\n", seq, data); err != nil {
			return fmt.Errorf("write event: %w", err)
		}
		return rc.Flush()
	}
	mu.Lock()
	err = startEventStream(w, rc)
	mu.Unlock()
	if err == nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			h.heartbeats(ctx, cancel, &mu, w, rc)
		}()
		err = send(last)
	}
	if err == nil {
		err = h.followList(ctx, f, changes, last, send)
	}
	if down() {
		cancel()
		wg.Wait()
		mu.Lock()
		_ = writeShutdownEvent(w, rc, seq+1)
		mu.Unlock()
		return
	}
	if err != nil && r.Context().Err() == nil && !errors.Is(err, context.Canceled) {
		h.log.WarnContext(r.Context(), "sync list stream ended early", "request_id", middleware.GetReqID(r.Context()), "err", err)
	}
}

// followList reads the list again on every change tick or poll, at most once per listMinGap,
// and sends it when it differs from last, until ctx ends or a read or send fails.
func (h *handler) followList(ctx context.Context, f service.SyncFilter, changes <-chan struct{}, last []byte, send func([]byte) error) error {
	poll := time.NewTicker(listPollInterval)
	defer poll.Stop()
	gap := time.NewTimer(listMinGap)
	defer gap.Stop()
	for {
		// Coalesce: wait out the gap since the last read, then for a reason to read.
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-gap.C:
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-changes:
		case <-poll.C:
		}
		data, err := h.syncPage(ctx, f)
		if err != nil {
			return err
		}
		gap.Reset(listMinGap)
		if bytes.Equal(data, last) {
			continue
		}
		last = data
		if err := send(data); err != nil {
			return err
		}
	}
}

// syncPage is the first page of GET /syncs for f, as its JSON body.
func (h *handler) syncPage(ctx context.Context, f service.SyncFilter) ([]byte, error) {
	items, next, err := h.svc.ListSyncs(ctx, f)
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []service.Sync{}
	}
	data, err := json.Marshal(page[service.Sync]{Items: items, NextCursor: next})
	if err != nil {
		return nil, fmt.Errorf("encode syncs: %w", err)
	}
	return data, nil
}

// startEventStream writes the headers of a Server-Sent Events answer and flushes them. The
// stream outlives the server's read and write timeouts (its end is the client's going away, the
// sync's end or the server's shutdown).
func startEventStream(w http.ResponseWriter, rc *http.ResponseController) error {
	_ = rc.SetWriteDeadline(time.Time{})
	_ = rc.SetReadDeadline(time.Time{})
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	return rc.Flush()
}
