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
	// listFallbackInterval is how often a list is read again without an announced change
	// (changes of every replica are announced by the service's change feed; this is insurance).
	listFallbackInterval = 30 * time.Second
	// listMinGap is the least time between two reads of one list: changes arriving faster
	// are coalesced (at most ~4 events per second).
	listMinGap = 250 * time.Millisecond
)

// errStreamCursor refuses ?cursor on the list stream, which always follows the first page.
var errStreamCursor = invalid("cursor", service.MsgFieldStreamCursor, "absent: the stream follows the first page")

// syncListEvents handles GET /syncs/events: a Server-Sent Events stream of the first page of
// GET /syncs with the same filters. Each "event: syncs" carries the list as GET /syncs answers
// it; the first is sent at once, the next whenever the list differs from the last one sent.
// Streams with the same filters share one reader of the list (listFeed), which reads it when a
// change is announced, at most once per listMinGap: the cost of a list does not grow with the
// number of its streams, and nothing is read while nothing changes. The stream ends when the
// client goes away or the server shuts down; a bad filter is a 400 problem before it starts.
func (h *handler) syncListEvents(w http.ResponseWriter, r *http.Request) {
	f, err := syncFilter(r)
	if err == nil && f.Cursor != "" {
		err = errStreamCursor
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	updates, mark, unsubscribe := h.lists.subscribe(h, f)
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
	for err == nil {
		select {
		case <-ctx.Done():
			err = ctx.Err()
		case u := <-updates:
			// A read that began before this stream's own first read may be older: skip it.
			if u.seq > mark && !bytes.Equal(u.data, last) {
				last = u.data
				err = send(u.data)
			}
		}
	}
	if down() {
		cancel()
		wg.Wait()
		mu.Lock()
		_ = writeShutdownEvent(w, rc, seq+1)
		mu.Unlock()
		return
	}
	if r.Context().Err() == nil && !errors.Is(err, context.Canceled) {
		h.log.WarnContext(r.Context(), "sync list stream ended early", "request_id", middleware.GetReqID(r.Context()), "err", err)
	}
}

// listFeeds are the shared readers of the lists that event streams follow, one per filter.
type listFeeds struct {
	mu    sync.Mutex
	feeds map[string]*listFeed
}

// listUpdate is one read of a list: seq orders the reads of its feed by their start.
type listUpdate struct {
	seq  uint64
	data []byte
}

// listFeed reads one list for all its streams.
type listFeed struct {
	mu      sync.Mutex
	subs    map[chan listUpdate]struct{}
	started uint64 // reads begun
	last    []byte
	stop    context.CancelFunc
}

// subscribe returns the updates of the list of f, the sequence number of the last read begun
// (reads up to it may be older than a read the caller begins now), and unsubscribe.
func (l *listFeeds) subscribe(h *handler, f service.SyncFilter) (<-chan listUpdate, uint64, func()) {
	key := fmt.Sprintf("%+v", f)
	ch := make(chan listUpdate, 1)
	l.mu.Lock()
	defer l.mu.Unlock()
	feed := l.feeds[key]
	if feed == nil {
		ctx, cancel := context.WithCancel(context.Background())
		feed = &listFeed{subs: map[chan listUpdate]struct{}{}, stop: cancel}
		if l.feeds == nil {
			l.feeds = map[string]*listFeed{}
		}
		l.feeds[key] = feed
		go feed.run(ctx, h, f)
	}
	feed.mu.Lock()
	feed.subs[ch] = struct{}{}
	mark := feed.started
	feed.mu.Unlock()
	return ch, mark, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		feed.mu.Lock()
		delete(feed.subs, ch)
		empty := len(feed.subs) == 0
		feed.mu.Unlock()
		if empty {
			delete(l.feeds, key)
			feed.stop()
		}
	}
}

// run reads the list whenever a change is announced (or every listFallbackInterval), at most
// once per listMinGap, and hands every new version to the subscribers, until ctx ends.
func (lf *listFeed) run(ctx context.Context, h *handler, f service.SyncFilter) {
	changes, unsubscribe := h.svc.Changes()
	defer unsubscribe()
	fallback := time.NewTicker(listFallbackInterval)
	defer fallback.Stop()
	gap := time.NewTimer(listMinGap)
	defer gap.Stop()
	for {
		// Coalesce: wait out the gap since the last read, then for a reason to read.
		select {
		case <-ctx.Done():
			return
		case <-gap.C:
		}
		select {
		case <-ctx.Done():
			return
		case <-changes:
		case <-fallback.C:
		}
		lf.mu.Lock()
		lf.started++
		seq := lf.started
		lf.mu.Unlock()
		rctx, cancel := context.WithTimeout(ctx, h.timeout)
		data, err := h.syncPage(rctx, f)
		cancel()
		gap.Reset(listMinGap)
		if err != nil {
			if ctx.Err() == nil {
				h.log.Warn("sync list stream: read", "err", err)
			}
			continue
		}
		lf.mu.Lock()
		if !bytes.Equal(data, lf.last) {
			lf.last = data
			for ch := range lf.subs {
				select { // keep only the newest version for a slow subscriber
				case <-ch:
				default:
				}
				ch <- listUpdate{seq: seq, data: data}
			}
		}
		lf.mu.Unlock()
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
