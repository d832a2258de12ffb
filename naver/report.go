package naver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"
)

// Status is the state of a report job.
type Status string

// Job statuses. Only BUILT has a file; NONE means no data (not an error).
const (
	StatusRegist      Status = "REGIST"
	StatusRunning     Status = "RUNNING"
	StatusWaiting     Status = "WAITING"
	StatusAggregating Status = "AGGREGATING"
	StatusBuilt       Status = "BUILT"
	StatusNone        Status = "NONE"
	StatusError       Status = "ERROR"
)

// Building reports whether a job in this status may still become BUILT, so
// that it is worth polling.
func (s Status) Building() bool {
	switch s {
	case StatusRegist, StatusRunning, StatusWaiting, StatusAggregating:
		return true
	}
	return false
}

// StatReport is a stat report job (create and get answer the same object).
type StatReport struct {
	ReportJobID int64
	ReportType  string
	// Day is the KST day of the report, at 00:00 UTC (Naver sends statDt
	// as the KST midnight in UTC).
	Day         time.Time
	Status      Status
	DownloadURL string // empty until BUILT
	RegTime     time.Time
	UpdateTime  time.Time
	LoginID     string
}

type statReportJSON struct {
	ReportJobID int64  `json:"reportJobId"`
	StatDt      string `json:"statDt"`
	UpdateTm    string `json:"updateTm"`
	ReportTp    string `json:"reportTp"`
	Status      string `json:"status"`
	DownloadURL string `json:"downloadUrl"`
	RegTm       string `json:"regTm"`
	LoginID     string `json:"loginId"`
}

func (j *statReportJSON) report() StatReport {
	r := StatReport{
		ReportJobID: j.ReportJobID,
		ReportType:  j.ReportTp,
		Status:      Status(j.Status),
		DownloadURL: j.DownloadURL,
		RegTime:     parseTime(j.RegTm),
		UpdateTime:  parseTime(j.UpdateTm),
		LoginID:     j.LoginID,
	}
	if t := parseTime(j.StatDt); !t.IsZero() {
		k := t.In(kst())
		r.Day = time.Date(k.Year(), k.Month(), k.Day(), 0, 0, 0, 0, time.UTC)
	}
	return r
}

// kst is Korea Standard Time (UTC+9, no daylight saving).
func kst() *time.Location { return time.FixedZone("KST", 9*3600) }

// parseTime reads Naver's ISO-8601 times; unparsable or empty gives zero.
func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.000Z0700", "2006-01-02T15:04:05Z0700"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

// CreateStatReport asks for a report of reportType (e.g. "AD") for one KST
// day (only its year, month and day are used).
func (c *Client) CreateStatReport(ctx context.Context, cred Credentials, reportType string, day time.Time) (*StatReport, error) {
	return c.createStat(ctx, cred, reportType, day, nil)
}

// createStat sends a create, retrying only attempts that surely made no job: refused by Naver
// (4xx, 429, 503 maintenance) or never written to the connection. An attempt whose answer was lost after the
// request went out (transport failure, the context ending, a 5xx, a cut body) returns an error
// matching ErrUncertain.
func (c *Client) createStat(ctx context.Context, cred Credentials, reportType string, day time.Time, n *int) (*StatReport, error) {
	const path = "/stat-reports"
	body, err := json.Marshal(map[string]string{"reportTp": reportType, "statDt": day.Format("20060102")})
	if err != nil {
		return nil, err
	}
	var out statReportJSON
	err = c.postCreate(ctx, cred, path, body, &out, n)
	if err != nil {
		return nil, fmt.Errorf("create stat report %s %s: %w", reportType, day.Format(time.DateOnly), err)
	}
	r := out.report()
	return &r, nil
}

// GetStatReport returns the job with id.
func (c *Client) GetStatReport(ctx context.Context, cred Credentials, id int64) (*StatReport, error) {
	return c.getStat(ctx, cred, id, nil)
}

func (c *Client) getStat(ctx context.Context, cred Credentials, id int64, n *int) (*StatReport, error) {
	var out statReportJSON
	if _, err := c.doJSON(ctx, cred, http.MethodGet, "/stat-reports/"+strconv.FormatInt(id, 10), nil, &out, n); err != nil {
		return nil, fmt.Errorf("get stat report %d: %w", id, err)
	}
	r := out.report()
	return &r, nil
}

// ListStatReports returns all stat report jobs of the customer, including
// those other tools made.
func (c *Client) ListStatReports(ctx context.Context, cred Credentials) ([]StatReport, error) {
	return c.listStat(ctx, cred, nil)
}

func (c *Client) listStat(ctx context.Context, cred Credentials, n *int) ([]StatReport, error) {
	var out []statReportJSON
	if _, err := c.doJSON(ctx, cred, http.MethodGet, "/stat-reports", nil, &out, n); err != nil {
		return nil, fmt.Errorf("list stat reports: %w", err)
	}
	rs := make([]StatReport, len(out))
	for i := range out {
		rs[i] = out[i].report()
	}
	return rs, nil
}

// DeleteStatReport deletes one job. (Deleting all jobs of a customer is
// deliberately not offered: it would delete other tools' jobs.)
func (c *Client) DeleteStatReport(ctx context.Context, cred Credentials, id int64) error {
	return c.deleteStat(ctx, cred, id, nil)
}

func (c *Client) deleteStat(ctx context.Context, cred Credentials, id int64, n *int) error {
	if _, err := c.doJSON(ctx, cred, http.MethodDelete, "/stat-reports/"+strconv.FormatInt(id, 10), nil, nil, n); err != nil {
		return fmt.Errorf("delete stat report %d: %w", id, err)
	}
	return nil
}

// CheckCredentials makes one cheap signed call (GET /stat-reports); wrong
// keys give an error matching ErrAuth.
func (c *Client) CheckCredentials(ctx context.Context, cred Credentials) error {
	if _, err := c.doJSON(ctx, cred, http.MethodGet, "/stat-reports", nil, nil, nil); err != nil {
		return fmt.Errorf("check credentials: %w", err)
	}
	return nil
}

// MasterReport is a master report job.
type MasterReport struct {
	ID          string // 32 hex digits
	Item        string // e.g. "Campaign", "Adgroup", "Keyword"
	FromTime    time.Time
	UpdateTime  time.Time
	Status      Status
	DownloadURL string
}

type masterReportJSON struct {
	ID          string `json:"id"`
	Item        string `json:"item"`
	FromTime    string `json:"fromTime,omitempty"`
	UpdateTime  string `json:"updateTime,omitempty"`
	Status      string `json:"status,omitempty"`
	DownloadURL string `json:"downloadUrl,omitempty"`
}

func (j *masterReportJSON) report() MasterReport {
	return MasterReport{
		ID: j.ID, Item: j.Item, FromTime: parseTime(j.FromTime), UpdateTime: parseTime(j.UpdateTime),
		Status: Status(j.Status), DownloadURL: j.DownloadURL,
	}
}

// CreateMasterReport asks for the master data of item; a zero from asks
// for everything, otherwise for the changes since from.
func (c *Client) CreateMasterReport(ctx context.Context, cred Credentials, item string, from time.Time) (*MasterReport, error) {
	return c.createMaster(ctx, cred, item, from, nil)
}

// createMaster sends a master create, retrying only attempts that surely made no job, as
// createStat does: one whose answer was lost returns an error matching ErrUncertain.
func (c *Client) createMaster(ctx context.Context, cred Credentials, item string, from time.Time, n *int) (*MasterReport, error) {
	const path = "/master-reports"
	in := masterReportJSON{Item: item}
	if !from.IsZero() {
		in.FromTime = from.UTC().Format("2006-01-02T15:04:05Z")
	}
	body, err := json.Marshal(in)
	if err != nil {
		return nil, err
	}
	var out masterReportJSON
	err = c.postCreate(ctx, cred, path, body, &out, n)
	if err != nil {
		return nil, fmt.Errorf("create master report %s: %w", item, err)
	}
	r := out.report()
	return &r, nil
}

// GetMasterReport returns the master job with id; a deleted job (which
// Naver answers with 204) gives an error matching ErrNotFound.
func (c *Client) GetMasterReport(ctx context.Context, cred Credentials, id string) (*MasterReport, error) {
	return c.getMaster(ctx, cred, id, nil)
}

func (c *Client) getMaster(ctx context.Context, cred Credentials, id string, n *int) (*MasterReport, error) {
	path := "/master-reports/" + pathEscapeID(id)
	var out masterReportJSON
	status, err := c.doJSON(ctx, cred, http.MethodGet, path, nil, &out, n)
	if err != nil {
		return nil, fmt.Errorf("get master report %s: %w", id, err)
	}
	if status == http.StatusNoContent {
		return nil, fmt.Errorf("get master report %s: %w", id,
			&APIError{HTTPStatus: status, Method: http.MethodGet, Path: path, Message: "job deleted"})
	}
	r := out.report()
	return &r, nil
}

// ListMasterReports returns the customer's master report jobs, other tools' included.
func (c *Client) ListMasterReports(ctx context.Context, cred Credentials) ([]MasterReport, error) {
	var out []masterReportJSON
	if _, err := c.doJSON(ctx, cred, http.MethodGet, "/master-reports", nil, &out, nil); err != nil {
		return nil, fmt.Errorf("list master reports: %w", err)
	}
	rs := make([]MasterReport, len(out))
	for i := range out {
		rs[i] = out[i].report()
	}
	return rs, nil
}

// DeleteMasterReport deletes one master job.
func (c *Client) DeleteMasterReport(ctx context.Context, cred Credentials, id string) error {
	return c.deleteMaster(ctx, cred, id, nil)
}

func (c *Client) deleteMaster(ctx context.Context, cred Credentials, id string, n *int) error {
	if _, err := c.doJSON(ctx, cred, http.MethodDelete, "/master-reports/"+pathEscapeID(id), nil, nil, n); err != nil {
		return fmt.Errorf("delete master report %s: %w", id, err)
	}
	return nil
}

// pathEscapeID keeps a job id from adding path segments or a query.
func pathEscapeID(id string) string { return url.PathEscape(id) }

// postCreate sends a create (sendCreate) and decodes its answer into out, retrying only
// attempts that surely made no job; an answer cut while it is read matches ErrUncertain.
func (c *Client) postCreate(ctx context.Context, cred Credentials, path string, body []byte, out any, n *int) error {
	return c.retry(ctx, func() error {
		resp, err := c.sendCreate(ctx, cred, path, body, n)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if err := json.NewDecoder(io.LimitReader(resp.Body, maxJSONBody)).Decode(out); err != nil {
			return &uncertainError{fmt.Errorf("naver: POST %s: read answer: %w: %w", path, ErrTransport, err)}
		}
		return nil
	})
}

// sendCreate POSTs a create. An error after which Naver may have made the job matches
// ErrUncertain: the request was written (even in part), or a connection was had for it and the
// call ended by the context or the holder's deadline — a canceled round trip returns at once,
// while the connection's writer may still send the request and only then report it written.
// Any other error surely made no job.
func (c *Client) sendCreate(ctx context.Context, cred Credentials, path string, body []byte, n *int) (*http.Response, error) {
	var wrote, gotConn atomic.Bool
	tctx := httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{
		GotConn:      func(httptrace.GotConnInfo) { gotConn.Store(true) },
		WroteRequest: func(httptrace.WroteRequestInfo) { wrote.Store(true) },
	})
	resp, err := c.send(tctx, cred, http.MethodPost, c.baseStr+path, path, body, n)
	if err == nil {
		return resp, nil
	}
	ended := ctx.Err() != nil || errors.Is(err, ErrDeadline)
	if wrote.Load() && (ended || errors.Is(err, ErrTransport) || errors.Is(err, ErrServer)) || gotConn.Load() && ended {
		return nil, &uncertainError{err}
	}
	return nil, err
}
