package navertest

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/naversync/naversync/naver"
)

// Report types the server accepts; each has data in its documented layout
// (reports.go).
func knownStatType(t string) bool {
	switch t {
	case "AD", "AD_CONVERSION", "AD_DETAIL", "AD_CONVERSION_DETAIL", "ADEXTENSION",
		"ADEXTENSION_CONVERSION", "EXPKEYWORD", "SHOPPINGKEYWORD_DETAIL",
		"SHOPPINGKEYWORD_CONVERSION_DETAIL", "SHOPPINGBRANDPRODUCT",
		"SHOPPINGBRANDPRODUCT_CONVERSION", "CRITERION", "CRITERION_CONVERSION":
		return true
	}
	return false
}

// Master items the server accepts; Campaign, Adgroup and Keyword have data.
func knownMasterItem(i string) bool {
	switch i {
	case "Account", "Campaign", "Adgroup", "Keyword", "Ad", "AdExtension", "BusinessChannel",
		"Media", "Biz", "SeasonalEvent", "Label", "LabelRef", "QI", "ProductGroup", "ProductGroupRel",
		"BrandAd", "BrandThumbnailAd", "BrandBannerAd", "ShoppingProduct", "ContentsAd",
		"PlaceAd", "CatalogAd":
		return true
	}
	return false
}

type statJob struct {
	id       int64
	customer string
	reportTp string
	day      time.Time
	reg      time.Time
	outcome  string // BUILT, NONE or ERROR
	build    time.Duration
	foreign  bool
	deleted  bool
	// deletedBy says who deleted it: deletedByAPI, deletedByCap, deletedByOwner, deletedByVanish.
	deletedBy string
	changed   bool
	token     string // escaped authtoken
}

type masterJob struct {
	id       string
	customer string
	item     string
	from     time.Time
	reg      time.Time
	outcome  string
	build    time.Duration
	deleted  bool
	token    string
}

// Who deleted a stat job.
const (
	deletedByAPI    = "api"    // a DELETE through the API: the client under test
	deletedByCap    = "cap"    // the 100-job cap, on a later create
	deletedByOwner  = "owner"  // the other tool that made it (DeleteForeignJobs, DeleteForeignJob)
	deletedByVanish = "vanish" // the VanishJob fault
)

// jobRef points at the job of a download token.
type jobRef struct {
	stat   *statJob
	master *masterJob
}

// liveJobs are one customer's jobs not deleted, oldest first.
type liveJobs struct {
	stat      []*statJob
	master    []*masterJob
	maxOwnJob int
	// evictedOwn and evictedForeign count stat jobs the cap deleted.
	evictedOwn, evictedForeign int
}

func (s *Server) liveOf(customerID string) *liveJobs {
	l := s.live[customerID]
	if l == nil {
		l = &liveJobs{}
		s.live[customerID] = l
	}
	return l
}

func (l *liveJobs) own() int {
	n := len(l.master)
	for _, j := range l.stat {
		if !j.foreign {
			n++
		}
	}
	return n
}

// OutstandingJobs counts the jobs of customerID created through the API
// (stat and master) and not deleted yet; foreign jobs are not counted.
func (s *Server) OutstandingJobs(customerID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.liveOf(customerID).own()
}

// MaxOutstanding is the highest OutstandingJobs of customerID so far.
func (s *Server) MaxOutstanding(customerID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.liveOf(customerID).maxOwnJob
}

// AddForeignJobs adds n built stat jobs made by "another tool" for
// customerID; they count toward the job cap.
func (s *Server) AddForeignJobs(customerID string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.addStatJobLocked(&statJob{
			customer: customerID, reportTp: "AD", day: kstToday(s.now()).AddDate(0, 0, -1),
			reg: s.now(), outcome: "BUILT", foreign: true,
		})
	}
}

// ForeignJobs counts the live jobs of "other tools" (AddForeignJobs) of customerID.
func (s *Server) ForeignJobs(customerID string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, j := range s.liveOf(customerID).stat {
		if j.foreign {
			n++
		}
	}
	return n
}

// DeleteForeignJobs deletes the n oldest jobs of "other tools" of customerID, as the other
// tool would once it downloaded them.
func (s *Server) DeleteForeignJobs(customerID string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.liveOf(customerID)
	l.stat = slices.DeleteFunc(l.stat, func(j *statJob) bool {
		if j.foreign && n > 0 {
			n--
			j.deleted, j.deletedBy = true, deletedByOwner
			return true
		}
		return false
	})
}

// CreateForeignJob adds one built stat job of reportType and day made by "another tool" for
// customerID (registered now; it counts toward the job cap and can evict like any create) and
// returns its id.
func (s *Server) CreateForeignJob(customerID, reportType string, day time.Time) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := &statJob{customer: customerID, reportTp: reportType, day: civil(day), reg: s.now(), outcome: "BUILT", foreign: true}
	s.addStatJobLocked(j)
	return j.id
}

// DeleteForeignJob deletes the job id of "another tool", as that tool would once it downloaded
// it; false when it is not a live foreign job.
func (s *Server) DeleteForeignJob(id int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.statJobs[id]
	if j == nil || !j.foreign || j.deleted {
		return false
	}
	j.deleted, j.deletedBy = true, deletedByOwner
	l := s.liveOf(j.customer)
	l.stat = slices.DeleteFunc(l.stat, func(x *statJob) bool { return x == j })
	return true
}

// ForeignDeleted counts the jobs of "other tools" of customerID that were deleted through the
// API, that is by the client under test (the other tools of tests delete theirs with
// DeleteForeignJobs / DeleteForeignJob), and lists their ids.
func (s *Server) ForeignDeleted(customerID string) []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []int64
	for _, j := range s.statJobs {
		if j.customer == customerID && j.foreign && j.deletedBy == deletedByAPI {
			ids = append(ids, j.id)
		}
	}
	slices.Sort(ids)
	return ids
}

// OwnJobs lists the live stat jobs of customerID made through the API (not by other tools):
// "report type day id" each, for messages of tests that find some left.
func (s *Server) OwnJobs(customerID string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, j := range s.liveOf(customerID).stat {
		if !j.foreign {
			out = append(out, fmt.Sprintf("%s %s %d", j.reportTp, j.day.Format(time.DateOnly), j.id))
		}
	}
	for _, j := range s.liveOf(customerID).master {
		out = append(out, fmt.Sprintf("master %s %s", j.item, j.id))
	}
	return out
}

// Evicted counts the stat jobs of customerID that the job cap deleted (Naver's silent
// deletion of the oldest job on the 101st create): ours, and other tools'.
func (s *Server) Evicted(customerID string) (own, foreign int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.liveOf(customerID)
	return l.evictedOwn, l.evictedForeign
}

// addStatJobLocked registers j, deleting the oldest stat job beyond the cap.
func (s *Server) addStatJobLocked(j *statJob) {
	l := s.liveOf(j.customer)
	for len(l.stat) >= s.opts.MaxJobs {
		if l.stat[0].foreign {
			l.evictedForeign++
		} else {
			l.evictedOwn++
		}
		l.stat[0].deleted, l.stat[0].deletedBy = true, deletedByCap
		l.stat = l.stat[1:]
	}
	s.nextStatID++
	j.id = s.nextStatID
	j.build = s.buildTime(uint64(j.id))
	j.token = downloadToken(fmt.Sprintf("stat-%d", j.id))
	s.statJobs[j.id] = j
	s.tokens[j.token] = jobRef{stat: j}
	l.stat = append(l.stat, j)
	l.maxOwnJob = max(l.maxOwnJob, l.own())
}

// downloadToken makes an authtoken as Naver's look: base64 with '/' and
// '+', URL-encoded (%2F, %2B).
func downloadToken(seed string) string {
	sum := sha256.Sum256([]byte(seed))
	raw := append([]byte{0xfb, 0xff, 0xbf}, sum[:18]...)
	return url.QueryEscape(base64.StdEncoding.EncodeToString(raw))
}

// status is what a job created at reg, built in build, with outcome shows at now.
func (s *Server) status(reg time.Time, build time.Duration, outcome string, atCreate bool) string {
	if atCreate {
		if build == 0 && s.opts.InstantBuild {
			return outcome
		}
		return "REGIST"
	}
	now := s.now()
	switch {
	case now.Before(reg.Add(build / 2)):
		return "REGIST"
	case now.Before(reg.Add(build)):
		return "RUNNING"
	}
	return outcome
}

func isoUTC(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func (s *Server) statJSON(r *http.Request, j *statJob, atCreate bool) map[string]any {
	st := s.status(j.reg, j.build, j.outcome, atCreate)
	statDt := time.Date(j.day.Year(), j.day.Month(), j.day.Day(), 0, 0, 0, 0, time.FixedZone("KST", 9*3600))
	u := ""
	if st == "BUILT" {
		u = fmt.Sprintf("%s/report-download?authtoken=%s&fileVersion=v2&type=stat", baseURL(r), j.token)
	}
	return map[string]any{
		"reportJobId": j.id, "statDt": isoUTC(statDt), "updateTm": isoUTC(statDt), "reportTp": j.reportTp,
		"status": st, "downloadUrl": u, "regTm": isoUTC(j.reg), "loginId": "navertest",
	}
}

// parseStatDt reads YYYYMMDD or an ISO-8601 instant (a KST day).
func parseStatDt(s string) (time.Time, bool) {
	if len(s) == 8 {
		t, err := time.Parse("20060102", s)
		return t, err == nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, false
	}
	return kstToday(t), true
}

func (s *Server) createStat(c *call) {
	var in struct {
		ReportTp string `json:"reportTp"`
		StatDt   string `json:"statDt"`
	}
	if !checkJSONBody(c, &in) {
		return
	}
	day, ok := parseStatDt(in.StatDt)
	if !ok || !knownStatType(in.ReportTp) {
		writeCode(c, http.StatusBadRequest, 11001, "잘못된 파라미터 형식입니다.")
		return
	}
	c.rec.ReportType, c.rec.StatDate = in.ReportTp, day
	today := kstToday(s.now())
	// Each type is served for its own window (naver.ServedDays): shopping conversions 45 days,
	// shopping search terms 180, the others the deployment's days (365 by default).
	if !day.Before(today) || day.Before(today.AddDate(0, 0, -naver.ServedDays(in.ReportTp, s.opts.ServedDays))) {
		writeCode(c, http.StatusBadRequest, 10004, "선택하신 조건에 지표가 확인되지 않습니다. 조회 기간을 확인해 주세요.")
		return
	}
	id, path := c.customer.ID, c.r.URL.Path
	yesterday := today.AddDate(0, 0, -1)
	notReady := day.Equal(yesterday) && s.now().Sub(kstMidnight(s.now())) < s.opts.ReadyAfter
	if _, ok := s.takeFault(NotReady20007, id, path, func() bool { return day.Equal(yesterday) }); ok || notReady {
		writeCode(c, http.StatusBadRequest, 20007, "해당 일자 지표 준비중입니다.")
		return
	}
	outcome := "BUILT"
	recent := func() bool { return !day.Before(today.AddDate(0, 0, -2)) }
	switch {
	case !c.customer.hasData(day):
		outcome = "NONE"
	case in.ReportTp == naver.ReportShoppingKeywordConversion && !c.customer.hasConversions(day):
		// Nothing to report: a day with traffic and no conversion. (AD_CONVERSION keeps
		// answering such a day BUILT with an empty file, as the oracles of older tests expect.)
		outcome = "NONE"
	}
	if _, ok := s.takeFault(ReportError, id, path, nil); ok {
		outcome = "ERROR"
	} else if outcome == "BUILT" {
		if _, ok := s.takeFault(PrematureNone, id, path, recent); ok {
			outcome = "NONE"
		}
	}
	j := &statJob{customer: id, reportTp: in.ReportTp, day: day, reg: s.now(), outcome: outcome}
	if f, ok := s.takeFault(LateRegistration, id, path, nil); ok {
		// The answer is lost now; the job registers later, as if the request had waited in a
		// queue at Naver.
		time.AfterFunc(f.Delay, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			j.reg = s.now()
			s.addStatJobLocked(j)
		})
		panic(http.ErrAbortHandler)
	}
	s.mu.Lock()
	s.addStatJobLocked(j)
	s.mu.Unlock()
	c.rec.JobID = fmt.Sprint(j.id)
	if _, ok := s.takeFault(LoseCreateAnswer, id, path, nil); ok {
		panic(http.ErrAbortHandler) // the job exists; its answer never leaves
	}
	writeJSON(c, http.StatusOK, s.statJSON(c.r, j, true))
}

// statJobFor finds a live job of the caller, answering 404 20011 / 403 20005.
func (s *Server) statJobFor(c *call, id int64) *statJob {
	s.mu.Lock()
	j := s.statJobs[id]
	deleted := j != nil && j.deleted
	s.mu.Unlock()
	switch {
	case j == nil || deleted && j.customer == c.customer.ID:
		writeCode(c, http.StatusNotFound, 20011, "보고서를 찾을 수 없습니다.")
		return nil
	case j.customer != c.customer.ID:
		writeCode(c, http.StatusForbidden, 20005, "요청한 작업을 수행할 수 없습니다.")
		return nil
	}
	c.rec.ReportType, c.rec.StatDate, c.rec.JobID = j.reportTp, j.day, fmt.Sprint(j.id)
	return j
}

func (s *Server) getStat(c *call, id int64) {
	if _, ok := s.takeFault(VanishJob, c.customer.ID, c.r.URL.Path, nil); ok {
		s.vanishStat(id)
	}
	if j := s.statJobFor(c, id); j != nil {
		writeJSON(c, http.StatusOK, s.statJSON(c.r, j, false))
	}
}

func (s *Server) listStat(c *call) {
	s.mu.Lock()
	jobs := slices.Clone(s.liveOf(c.customer.ID).stat)
	s.mu.Unlock()
	if f, ok := s.takeFault(ListingLag, c.customer.ID, c.r.URL.Path, nil); ok {
		since := s.now().Add(-f.Delay)
		jobs = slices.DeleteFunc(jobs, func(j *statJob) bool { return j.reg.After(since) })
	}
	out := make([]map[string]any, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, s.statJSON(c.r, j, false))
	}
	writeJSON(c, http.StatusOK, out)
}

func (s *Server) deleteStat(c *call, id int64) {
	j := s.statJobFor(c, id)
	if j == nil {
		return
	}
	if _, ok := s.takeFault(DeleteFails, c.customer.ID, c.r.URL.Path, nil); ok {
		writeCode(c, http.StatusInternalServerError, 500, "Internal Server Error")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j.deleted, j.deletedBy = true, deletedByAPI
	l := s.liveOf(j.customer)
	l.stat = slices.DeleteFunc(l.stat, func(x *statJob) bool { return x == j })
	c.w.WriteHeader(http.StatusNoContent)
}

// deleteAllStat deletes every stat job of the customer (other tools' too),
// as Naver's DELETE /stat-reports does.
func (s *Server) deleteAllStat(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.liveOf(c.customer.ID)
	for _, j := range l.stat {
		j.deleted, j.deletedBy = true, deletedByAPI
	}
	l.stat = nil
	c.w.WriteHeader(http.StatusNoContent)
}

func (s *Server) masterJSON(r *http.Request, j *masterJob, atCreate bool) map[string]any {
	st := s.status(j.reg, j.build, j.outcome, atCreate)
	m := map[string]any{"id": j.id, "item": j.item, "status": st, "updateTime": isoUTC(j.reg)}
	if !j.from.IsZero() {
		m["fromTime"] = isoUTC(j.from)
	}
	if st == "BUILT" {
		m["downloadUrl"] = fmt.Sprintf("%s/report-download?authtoken=%s&fileVersion=v2&type=master", baseURL(r), j.token)
	}
	return m
}

func (s *Server) createMaster(c *call) {
	var in struct {
		Item     string `json:"item"`
		FromTime string `json:"fromTime"`
	}
	if !checkJSONBody(c, &in) {
		return
	}
	var from time.Time
	if in.FromTime != "" {
		t, err := time.Parse(time.RFC3339, in.FromTime)
		if err != nil {
			writeMasterError(c, http.StatusBadRequest, "BadRequest", "Bad Request", "invalid fromTime")
			return
		}
		from = t
	}
	if !knownMasterItem(in.Item) {
		writeMasterError(c, http.StatusBadRequest, "BadRequest", "Bad Request", "invalid item")
		return
	}
	c.rec.ReportType = in.Item
	id, path := c.customer.ID, c.r.URL.Path
	outcome := "BUILT"
	if !c.customer.anyListed(in.Item, from) {
		outcome = "NONE"
	}
	if _, ok := s.takeFault(ReportError, id, path, nil); ok {
		outcome = "ERROR"
	}
	s.mu.Lock()
	l := s.liveOf(id)
	if len(l.master) >= s.opts.MaxJobs {
		s.mu.Unlock()
		writeMasterError(c, http.StatusBadRequest, "BadRequest", "Bad Request",
			fmt.Sprintf("exceeded limit of '%d' numbers of 'job'", s.opts.MaxJobs))
		return
	}
	s.nextMasterID++
	j := &masterJob{id: fmt.Sprintf("%032x", s.nextMasterID), customer: id, item: in.Item, from: from, reg: s.now(), outcome: outcome,
		build: s.buildTime(s.nextMasterID)}
	j.token = downloadToken("master-" + j.id)
	s.masterJobs[j.id] = j
	s.tokens[j.token] = jobRef{master: j}
	l.master = append(l.master, j)
	l.maxOwnJob = max(l.maxOwnJob, l.own())
	s.mu.Unlock()
	c.rec.JobID = j.id
	writeJSON(c, http.StatusOK, s.masterJSON(c.r, j, true))
}

func writeMasterError(c *call, status int, name, title, detail string) {
	writeJSON(c, status, map[string]any{"name": name, "status": status, "title": title, "detail": detail})
}

// masterJobFor finds the caller's master job; a deleted one answers 204.
func (s *Server) masterJobFor(c *call, id string) *masterJob {
	s.mu.Lock()
	j := s.masterJobs[id]
	deleted := j != nil && j.deleted
	s.mu.Unlock()
	switch {
	case j == nil:
		writeMasterError(c, http.StatusNotFound, "NotFound", "Not Found", "job not found")
		return nil
	case j.customer != c.customer.ID:
		writeCode(c, http.StatusForbidden, 20005, "요청한 작업을 수행할 수 없습니다.")
		return nil
	case deleted:
		c.w.WriteHeader(http.StatusNoContent)
		return nil
	}
	c.rec.ReportType, c.rec.JobID = j.item, j.id
	return j
}

func (s *Server) getMaster(c *call, id string) {
	if _, ok := s.takeFault(VanishJob, c.customer.ID, c.r.URL.Path, nil); ok {
		s.vanishMaster(id)
	}
	if j := s.masterJobFor(c, id); j != nil {
		writeJSON(c, http.StatusOK, s.masterJSON(c.r, j, false))
	}
}

func (s *Server) listMaster(c *call) {
	s.mu.Lock()
	jobs := slices.Clone(s.liveOf(c.customer.ID).master)
	s.mu.Unlock()
	out := make([]map[string]any, 0, len(jobs))
	for _, j := range jobs {
		out = append(out, s.masterJSON(c.r, j, false))
	}
	writeJSON(c, http.StatusOK, out)
}

func (s *Server) deleteMaster(c *call, id string) {
	j := s.masterJobFor(c, id)
	if j == nil {
		return
	}
	if _, ok := s.takeFault(DeleteFails, c.customer.ID, c.r.URL.Path, nil); ok {
		writeCode(c, http.StatusInternalServerError, 500, "Internal Server Error")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	j.deleted = true
	l := s.liveOf(j.customer)
	l.master = slices.DeleteFunc(l.master, func(x *masterJob) bool { return x == j })
	c.w.WriteHeader(http.StatusNoContent)
}

func (s *Server) deleteAllMaster(c *call) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.liveOf(c.customer.ID)
	for _, j := range l.master {
		j.deleted = true
	}
	l.master = nil
	c.w.WriteHeader(http.StatusNoContent)
}

// vanishStat deletes a stat job behind its owner's back.
func (s *Server) vanishStat(id int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j := s.statJobs[id]; j != nil && !j.deleted {
		j.deleted, j.deletedBy = true, deletedByVanish
		l := s.liveOf(j.customer)
		l.stat = slices.DeleteFunc(l.stat, func(x *statJob) bool { return x == j })
	}
}

// vanishMaster deletes a master job behind its owner's back.
func (s *Server) vanishMaster(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j := s.masterJobs[id]; j != nil && !j.deleted {
		j.deleted = true
		l := s.liveOf(j.customer)
		l.master = slices.DeleteFunc(l.master, func(x *masterJob) bool { return x == j })
	}
}
