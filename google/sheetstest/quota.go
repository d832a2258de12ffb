package sheetstest

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Quota is Google's per-minute request quota for the Sheets API, enforced by the stand-in per
// caller (a service account's e-mail: "per user per project") and per project (the part of the
// e-mail between "@" and ".iam.gserviceaccount.com"; "default" for a caller without that form).
// A zero limit is no limit; the zero Quota enforces nothing (the counters still count).
//
// Google documents "per-minute quotas, refilled every minute" without saying whether the minute
// is a fixed or a rolling one (https://developers.google.com/workspace/sheets/api/limits). The
// stand-in takes the stricter reading: a rolling window. A request is admitted when fewer than
// the limit of requests of its kind (read or write) were admitted for its caller, and for its
// project, in the Window before it; otherwise it is answered 429 RESOURCE_EXHAUSTED with
// Google's message for the limit hit and a Retry-After header (whole seconds, at least 1) saying
// when the oldest admitted request leaves the window. A rejected request uses no quota. A client
// that stays within a rolling window stays within fixed minutes too.
//
// Reads are GET spreadsheets, values.get, values.batchGet and POST spreadsheets:getByDataFilter;
// every other API request (batchUpdate, values writes) is a write.
type Quota struct {
	// ReadsPerUser and WritesPerUser are Google's "per minute per user per project" limits
	// (60 each for the Sheets API).
	ReadsPerUser, WritesPerUser int
	// ReadsPerProject and WritesPerProject are Google's "per minute per project" limits
	// (300 each).
	ReadsPerProject, WritesPerProject int
	// Window is the quota's period; default one minute. Tests shorten it.
	Window time.Duration
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// GoogleQuota is the Sheets API's documented default quota.
func GoogleQuota() Quota {
	return Quota{ReadsPerUser: 60, WritesPerUser: 60, ReadsPerProject: 300, WritesPerProject: 300}
}

// QuotaKind is a request's quota metric.
type QuotaKind int

// Quota metrics.
const (
	QuotaRead QuotaKind = iota + 1
	QuotaWrite
)

func (k QuotaKind) String() string {
	if k == QuotaRead {
		return "Read"
	}
	return "Write"
}

// QuotaCount is what the stand-in saw of one caller's or one project's requests of one kind.
type QuotaCount struct {
	// Requests is every request that reached the quota check (admitted or not).
	Requests int
	// Rejected is how many of them were answered 429.
	Rejected int
	// Peak is the most requests (admitted or not) that arrived within any one Window: what the
	// client sent, to compare with the limit.
	Peak int
}

// QuotaUsage is the stand-in's quota counters.
type QuotaUsage struct {
	// Callers and Projects map a caller's e-mail (lower case) or a project to its reads'
	// and writes' counts.
	Callers, Projects map[string]QuotaKinds
}

// QuotaKinds holds the counts of the two metrics.
type QuotaKinds struct {
	Reads, Writes QuotaCount
}

// ProjectOf is the project of a caller: the part of its e-mail between "@" and
// ".iam.gserviceaccount.com", or "default".
func ProjectOf(email string) string {
	_, domain, ok := strings.Cut(strings.ToLower(email), "@")
	if p, found := strings.CutSuffix(domain, ".iam.gserviceaccount.com"); ok && found && p != "" {
		return p
	}
	return "default"
}

type quotaKey struct {
	project bool
	name    string
	kind    QuotaKind
}

// quotaLog is one key's recent requests: arrivals (for Peak) and admissions (for the limit).
type quotaLog struct {
	count    QuotaCount
	arrived  []time.Time
	admitted []time.Time
}

// prune drops the times at or before cut (they left the window).
func prune(ts []time.Time, cut time.Time) []time.Time {
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	return ts[i:]
}

type quotaState struct {
	q    Quota
	logs map[quotaKey]*quotaLog
}

func newQuotaState(q Quota) *quotaState {
	if q.Window <= 0 {
		q.Window = time.Minute
	}
	if q.Now == nil {
		q.Now = time.Now
	}
	return &quotaState{q: q, logs: map[quotaKey]*quotaLog{}}
}

func (qs *quotaState) log(k quotaKey) *quotaLog {
	l := qs.logs[k]
	if l == nil {
		l = &quotaLog{}
		qs.logs[k] = l
	}
	return l
}

// requestKind classifies an API request.
func requestKind(r *http.Request) QuotaKind {
	if r.Method == http.MethodGet || strings.HasSuffix(r.URL.Path, ":getByDataFilter") {
		return QuotaRead
	}
	return QuotaWrite
}

// quotaDenial is a 429's message and Retry-After.
type quotaDenial struct {
	message    string
	retryAfter time.Duration
}

// admit counts a request of kind by caller and decides it; nil admits it. Callers hold s.mu.
func (qs *quotaState) admit(caller string, kind QuotaKind) *quotaDenial {
	now := qs.q.Now()
	cut := now.Add(-qs.q.Window)
	project := ProjectOf(caller)
	user := qs.log(quotaKey{name: caller, kind: kind})
	proj := qs.log(quotaKey{project: true, name: project, kind: kind})
	for _, l := range []*quotaLog{user, proj} {
		l.arrived = append(prune(l.arrived, cut), now)
		l.admitted = prune(l.admitted, cut)
		l.count.Requests++
		l.count.Peak = max(l.count.Peak, len(l.arrived))
	}
	userLimit, projLimit := qs.q.ReadsPerUser, qs.q.ReadsPerProject
	if kind == QuotaWrite {
		userLimit, projLimit = qs.q.WritesPerUser, qs.q.WritesPerProject
	}
	var d *quotaDenial
	switch {
	case userLimit > 0 && len(user.admitted) >= userLimit:
		d = &quotaDenial{
			message: fmt.Sprintf("Quota exceeded for quota metric '%s requests' and limit '%s requests per minute per user' of service 'sheets.googleapis.com' for consumer 'project_number:%s'.",
				kind, kind, project),
			retryAfter: user.admitted[len(user.admitted)-userLimit].Sub(cut),
		}
	case projLimit > 0 && len(proj.admitted) >= projLimit:
		d = &quotaDenial{
			message: fmt.Sprintf("Quota exceeded for quota metric '%s requests' and limit '%s requests per minute' of service 'sheets.googleapis.com' for consumer 'project_number:%s'.",
				kind, kind, project),
			retryAfter: proj.admitted[len(proj.admitted)-projLimit].Sub(cut),
		}
	}
	if d != nil {
		user.count.Rejected++
		proj.count.Rejected++
		return d
	}
	user.admitted = append(user.admitted, now)
	proj.admitted = append(proj.admitted, now)
	return nil
}

// writeQuotaError writes Google's 429 for d, with Retry-After in whole seconds (rounded up).
func writeQuotaError(w http.ResponseWriter, d *quotaDenial) {
	secs := int64((d.retryAfter + time.Second - 1) / time.Second)
	w.Header().Set("Retry-After", strconv.FormatInt(max(secs, 1), 10))
	writeError(w, http.StatusTooManyRequests, "RESOURCE_EXHAUSTED", d.message)
}

// QuotaUsage returns the quota counters so far (per caller and per project).
func (s *Server) QuotaUsage() QuotaUsage {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := QuotaUsage{Callers: map[string]QuotaKinds{}, Projects: map[string]QuotaKinds{}}
	for k, l := range s.quota.logs {
		m := u.Callers
		if k.project {
			m = u.Projects
		}
		v := m[k.name]
		if k.kind == QuotaRead {
			v.Reads = l.count
		} else {
			v.Writes = l.count
		}
		m[k.name] = v
	}
	return u
}
