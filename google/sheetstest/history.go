package sheetstest

import (
	"net/http"
	"reflect"
	"strings"
)

// Test hooks for what readers could see and for failures between batches.

// trackKey names a tracked tab: spreadsheet id and lower-cased title.
type trackKey struct{ id, tab string }

// tracked is the recorded history of one tab.
type tracked struct {
	last   *grid // the grid version last recorded (nil: no such tab)
	states [][][]any
}

// Track starts recording every committed state of the tab titled tab in
// spreadsheet id that a reader could observe: its values now, then after
// each committed batchUpdate that changed them (a batch that wrote to the
// tab, resized it, or created, renamed or deleted it, and left other values
// than the last recorded). A missing tab is recorded as nil. History
// returns the record.
func (s *Server) Track(id, tab string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tracks == nil {
		s.tracks = map[trackKey]*tracked{}
	}
	t := &tracked{}
	var g *grid
	if b := s.books[id]; b != nil {
		g = b.byTitle(tab)
	}
	t.last = g
	t.states = append(t.states, gridValues(g))
	s.tracks[trackKey{id, strings.ToLower(tab)}] = t
}

// History returns the states recorded since Track(id, tab), oldest first,
// each as Values returns it (nil while the tab did not exist).
func (s *Server) History(id, tab string) [][][]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := s.tracks[trackKey{id, strings.ToLower(tab)}]
	if t == nil {
		return nil
	}
	return append([][][]any(nil), t.states...)
}

// recordHistory records the tracked tabs of book that its last batch changed.
// Grids are copy-on-write, so a changed tab is a new *grid.
func (s *Server) recordHistory(book *spreadsheet) {
	for k, t := range s.tracks {
		if k.id != book.id {
			continue
		}
		g := book.byTitle(k.tab)
		if g == t.last {
			continue
		}
		t.last = g
		// A batch that changed only what readers do not see (formats,
		// metadata) leaves the same state.
		if v := gridValues(g); !reflect.DeepEqual(v, t.states[len(t.states)-1]) {
			t.states = append(t.states, v)
		}
	}
}

// BatchFault describes a failure of one future batchUpdate of a spreadsheet.
type BatchFault struct {
	// Nth counts the spreadsheet's batchUpdates from the injection: 1 is the
	// next one.
	Nth int
	// Code and Status are the HTTP code and Google status of the answer,
	// e.g. 503 "UNAVAILABLE" or 500 "INTERNAL".
	Code   int
	Status string
	// AfterCommit applies the batch before answering with the error, as when
	// Google's answer is lost after the change was made.
	AfterCommit bool
}

// pendingFault is a BatchFault with its countdown.
type pendingFault struct {
	BatchFault
	left int
}

// InjectBatchFault schedules f for spreadsheet id. Faults scheduled for the
// same batchUpdate fire together as one (the first one scheduled wins).
func (s *Server) InjectBatchFault(id string, f BatchFault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.faults == nil {
		s.faults = map[string][]*pendingFault{}
	}
	s.faults[id] = append(s.faults[id], &pendingFault{BatchFault: f, left: max(f.Nth, 1)})
}

// batchFault counts one batchUpdate of spreadsheet id and returns the fault
// it must suffer, if any.
func (s *Server) batchFault(id string) *BatchFault {
	if len(s.faults[id]) == 0 {
		return nil
	}
	var fire *BatchFault
	rest := s.faults[id][:0]
	for _, f := range s.faults[id] {
		f.left--
		if f.left > 0 {
			rest = append(rest, f)
		} else if fire == nil {
			fire = &f.BatchFault
		}
	}
	s.faults[id] = rest
	return fire
}

// injectedBatchError writes the answer of a fault.
func injectedBatchError(w http.ResponseWriter, f *BatchFault) {
	writeError(w, f.Code, f.Status, injectedMessage(injected{code: f.Code, status: f.Status}))
}

// gridValues is Values for one grid (nil for none).
func gridValues(g *grid) [][]any {
	if g == nil {
		return nil
	}
	out := [][]any{}
	for _, row := range g.data {
		line := make([]any, len(row))
		for j, c := range row {
			line[j] = c.value
		}
		out = append(out, trimRow(line))
	}
	return trimRows(out)
}
