package bench

import (
	"net/http"
	"strings"

	"github.com/naversync/naversync/naver/navertest"
)

// Calls counts the Naver calls of some syncs, from the simulator's own record.
type Calls struct {
	// Reports is the number of stat report jobs created.
	Reports int
	// StatCalls are all calls about stat reports: create, status polls, download, delete.
	StatCalls int
	// Polls and Deletes are the status and delete calls among StatCalls.
	Polls, Deletes int
	// MasterCalls are the master report calls (names), not counted per report.
	MasterCalls int
	// Listings are the listings of the customer's report jobs (GET /stat-reports) that size the
	// window under Naver's 100-job cap: one at the start of a fetch and one per window, not per
	// report.
	Listings int
	// SheetRequests is the Sheets stand-in's request count for the same syncs.
	SheetRequests int
	// Syncs is how many syncs made these calls.
	Syncs int
}

// PerReport is stat report calls per report, the delete included.
func (c Calls) PerReport() float64 { return ratio(float64(c.StatCalls), float64(c.Reports)) }

// PerReportNoDelete is stat report calls per report without the delete after download.
func (c Calls) PerReportNoDelete() float64 {
	return ratio(float64(c.StatCalls-c.Deletes), float64(c.Reports))
}

// SheetRequestsPerSync is Sheets API requests per sync.
func (c Calls) SheetRequestsPerSync() float64 {
	return ratio(float64(c.SheetRequests), float64(c.Syncs))
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// countCalls classifies the simulator's requests of one customer.
func countCalls(reqs []navertest.Request, customer string) Calls {
	var c Calls
	for _, r := range reqs {
		if r.Customer != customer {
			continue
		}
		switch {
		case strings.HasPrefix(r.Path, "/master-reports"):
			c.MasterCalls++
		case r.Path == "/report-download" && !isStatType(r.ReportType):
			c.MasterCalls++
		case r.Path == "/report-download":
			c.StatCalls++
		case r.Path == "/stat-reports" && r.Method == http.MethodPost:
			c.StatCalls++
			if r.Status == http.StatusOK {
				c.Reports++
			}
		case r.Path == "/stat-reports" && r.Method == http.MethodGet:
			c.Listings++
		case strings.HasPrefix(r.Path, "/stat-reports/") && r.Method == http.MethodGet:
			c.StatCalls++
			c.Polls++
		case strings.HasPrefix(r.Path, "/stat-reports/") && r.Method == http.MethodDelete:
			c.StatCalls++
			c.Deletes++
		default:
			c.StatCalls++
		}
	}
	return c
}

// isStatType tells a stat report type ("AD", "AD_CONVERSION") from a master item ("Keyword"):
// the simulator records either on a download, and only stat types are upper case.
func isStatType(t string) bool { return t != "" && strings.ToUpper(t) == t }
