package navertest

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FaultKind is a kind of failure the server can inject.
type FaultKind int

// Fault kinds. The first five hit any request (after authentication);
// the others hit the operation named. (VanishJob is not in Naver's list of
// failures but imitates what the job cap or another tool does to a job.)
const (
	// RateLimit429 answers 429 {"code":429,...} (with Retry-After when
	// Fault.RetryDelay is set).
	RateLimit429 FaultKind = iota + 1
	// TooManyConnections1016 answers 400 {"code":1016}.
	TooManyConnections1016
	// ServerError500 answers 500 {"code":500}.
	ServerError500
	// Maintenance503 answers 503.
	Maintenance503
	// SlowResponse waits Fault.Delay (or until the request is canceled)
	// before serving normally.
	SlowResponse
	// ReportError makes a created job end ERROR.
	ReportError
	// CutDownload sends half of the file, then closes the connection.
	CutDownload
	// NotReady20007 answers a stat create for yesterday with 400 20007.
	NotReady20007
	// PrematureNone makes a stat job for a recent day (yesterday or the
	// day before) end NONE although the day has data.
	PrematureNone
	// DataChanged refuses a download because the data changed; that job
	// can no longer be downloaded.
	DataChanged
	// VanishJob deletes the job a GET /stat-reports/{id} or
	// /master-reports/{id} asks for, just before answering, as the job cap
	// or another tool's DELETE-all would (404 20011; 204 for masters).
	VanishJob
	// LoseCreateAnswer makes the stat job a create asks for, then closes the
	// connection without answering: the client cannot know the job exists.
	LoseCreateAnswer
	// LateRegistration closes a stat create's connection without answering and registers its
	// job only Fault.Delay later (regTm then): a listing made right after the lost answer does
	// not show it yet.
	LateRegistration
	// DeleteFails answers a DELETE of one stat or master job with 500 (the job stays), as an
	// outage of that endpoint would.
	DeleteFails
	// ListingLag makes GET /stat-reports leave out the jobs registered less than Fault.Delay
	// ago, as a listing served from a lagging replica would.
	ListingLag
)

// Fault describes an injected failure.
type Fault struct {
	Customer string    // "" for all customers
	Kind     FaultKind // what happens
	// Count is how many matching requests it hits; 0 means no limit
	// (then it lasts until Until, or until ClearFaults).
	Count int
	// Until ends the fault (by Options.Now); zero means no end.
	Until time.Time
	// RetryDelay, for RateLimit429, is sent as Retry-After (whole seconds).
	RetryDelay time.Duration
	// Delay is how long SlowResponse waits.
	Delay time.Duration
	// Path limits the fault to request paths with this prefix ("" all).
	Path string
	// Method limits the fault to requests of this HTTP method ("" all).
	Method string
}

type faultState struct {
	Fault
	left int // remaining hits when Count > 0
}

// SetFault adds a fault. Faults are consulted in the order added.
func (s *Server) SetFault(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultState{Fault: f, left: f.Count})
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFault consumes one hit of the first active fault of kind matching
// the customer and path; cond, if not nil, must also hold.
func (s *Server) takeFault(kind FaultKind, customerID, path string, cond func() bool) (Fault, bool) {
	return s.takeFaultOf(kind, customerID, "", path, cond)
}

// takeFaultOf is takeFault for a request of method (faults with a Method must match it; ""
// matches only faults without one).
func (s *Server) takeFaultOf(kind FaultKind, customerID, method, path string, cond func() bool) (Fault, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for _, f := range s.faults {
		if f.Kind != kind || (f.Customer != "" && f.Customer != customerID) ||
			!strings.HasPrefix(path, f.Path) || (f.Method != "" && f.Method != method) || (!f.Until.IsZero() && !now.Before(f.Until)) ||
			(f.Count > 0 && f.left <= 0) {
			continue
		}
		if cond != nil && !cond() {
			continue
		}
		if f.Count > 0 {
			f.left--
		}
		return f.Fault, true
	}
	return Fault{}, false
}

// gatewayFault applies the faults that hit any request; it reports whether
// the request was answered.
func (s *Server) gatewayFault(c *call) bool {
	id, path := c.customer.ID, c.r.URL.Path
	if f, ok := s.takeFaultOf(SlowResponse, id, c.r.Method, path, nil); ok {
		if !pause(c.r.Context(), f.Delay) {
			return true
		}
	}
	if f, ok := s.takeFaultOf(RateLimit429, id, c.r.Method, path, nil); ok {
		if f.RetryDelay > 0 {
			c.w.Header().Set("Retry-After", strconv.Itoa(int(f.RetryDelay.Round(time.Second)/time.Second)))
		}
		writeJSON(c, http.StatusTooManyRequests, map[string]any{
			"code": 429, "status": 429, "title": "Cannot handle the request. Too many requests already exist.",
		})
		return true
	}
	if _, ok := s.takeFaultOf(TooManyConnections1016, id, c.r.Method, path, nil); ok {
		writeCode(c, http.StatusBadRequest, 1016, "Too many connections.")
		return true
	}
	if _, ok := s.takeFaultOf(ServerError500, id, c.r.Method, path, nil); ok {
		writeCode(c, http.StatusInternalServerError, 500, "Internal Server Error")
		return true
	}
	if _, ok := s.takeFaultOf(Maintenance503, id, c.r.Method, path, nil); ok {
		writeCode(c, http.StatusServiceUnavailable, 503, "정기 점검 중입니다. (scheduled maintenance)")
		return true
	}
	return false
}
