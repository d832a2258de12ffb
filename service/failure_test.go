package service

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/api/googleapi"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/store"
)

// TestClassify holds the failure rules: each error the work of a claimed sync may end with,
// wrapped as the code wraps it (the naver, google and store packages' sentinels and typed
// errors), has one kind and one outcome. Every kind the service reports is covered, but
// shutdown, which the lifecycle decides from its own context, not from an error.
func TestClassify(t *testing.T) {
	api := func(status, code int, msg string) error {
		return fmt.Errorf("create report job: %w", &naver.APIError{HTTPStatus: status, Code: code, Message: msg, Method: http.MethodPost, Path: "/stat-reports"})
	}
	sheet := func(err error) error { return fmt.Errorf("%w: %w", errSheet, err) }
	cases := []struct {
		name    string
		err     error
		kind    ErrorKind
		outcome Outcome
	}{
		{"naver 401", api(http.StatusUnauthorized, 0, "unauthorized"), KindAuth, OutcomeFail},
		{"naver problem type", fmt.Errorf("list jobs: %w", &naver.APIError{HTTPStatus: http.StatusForbidden, Type: "urn:naver:api:problem:forbidden"}), KindAuth, OutcomeFail},
		{"naver code 1018", api(http.StatusBadRequest, 1018, "customer"), KindAuth, OutcomeFail},
		{"naver 429", fmt.Errorf("get job: %w", &naver.RateLimitError{Err: &naver.APIError{HTTPStatus: http.StatusTooManyRequests}}), KindRateLimited, OutcomeRetry},
		{"naver code 1016", api(http.StatusBadRequest, 1016, "too many"), KindRateLimited, OutcomeRetry},
		{"naver 503", api(http.StatusServiceUnavailable, 0, "maintenance"), KindMaintenance, OutcomeRetry},
		{"naver 500", api(http.StatusInternalServerError, 0, "boom"), KindOther, OutcomeRetry},
		{"naver not ready", api(http.StatusBadRequest, 20007, "not ready"), KindNotReady, OutcomeRetry},
		{"naver not served", api(http.StatusBadRequest, 10004, "not served"), KindNotServed, OutcomeFail},
		{"naver report failed", fmt.Errorf("job 7: %w", naver.ErrReportFailed), KindReportFailed, OutcomeRetry},
		{"naver 404", api(http.StatusNotFound, 0, "no job"), KindNotFound, OutcomeRetry},
		{"naver code 20011", api(http.StatusBadRequest, 20011, "no job"), KindNotFound, OutcomeRetry},
		{"naver data changed", api(http.StatusBadRequest, 0, "report data changed"), KindOther, OutcomeRetry},
		{"naver transport", fmt.Errorf("%w: dial tcp: connection refused", naver.ErrTransport), KindTransport, OutcomeRetry},
		{"naver damaged download", fmt.Errorf("download: %w", naver.ErrDamaged), KindOther, OutcomeRetry},
		{"naver create answer lost", fmt.Errorf("create: %w", naver.ErrUncertain), KindOther, OutcomeRetry},
		{"naver create answer lost in transport", fmt.Errorf("create: %w: %w", naver.ErrUncertain, naver.ErrTransport), KindTransport, OutcomeRetry},
		{"naver job limit", api(http.StatusBadRequest, 0, "exceeded limit of report jobs"), KindOther, OutcomeFail},
		{"naver bad request", api(http.StatusBadRequest, 0, "bad"), KindOther, OutcomeFail},
		{"naver foreign host", fmt.Errorf("download: %w", naver.ErrForeignHost), KindOther, OutcomeFail},
		{"canceled", fmt.Errorf("get job: %w", context.Canceled), KindCanceled, OutcomeFail},
		{"deadline exceeded", fmt.Errorf("get job: %w", context.DeadlineExceeded), KindCanceled, OutcomeFail},
		{"naver jobs full", fmt.Errorf("settle: %w", &naverJobsFull{others: 100}), KindNaverJobs, OutcomeWaitNaverJobs},
		{"plain", errors.New("something else"), KindOther, OutcomeFail},
		{"consent", fmt.Errorf("write: %w", &ForeignTabError{AccountID: "a", SpreadsheetID: "s", Tab: "t", FirstCell: "A1"}), KindConsentNeeded, OutcomeFail},
		{"sheet too large", sheet(&google.TooLargeError{Tab: "t", NeededCells: 11_000_000, LimitCells: google.LimitCells}), KindTooLarge, OutcomeFail},
		{"sheet not shared", sheet(fmt.Errorf("share it with x@y: %w", google.ErrNotShared)), KindNotShared, OutcomeFail},
		{"sheet not found", sheet(fmt.Errorf("open: %w", google.ErrSpreadsheetNotFound)), KindSpreadsheetNotFound, OutcomeFail},
		{"sheet quota", sheet(fmt.Errorf("batch update: %w", google.ErrQuota)), KindQuota, OutcomeWaitQuota},
		{"sheet 500", sheet(&googleapi.Error{Code: http.StatusInternalServerError, Message: "backend"}), KindSheet, OutcomeRetry},
		{"sheet canceled", sheet(context.Canceled), KindSheet, OutcomeRetry},
		{"storage", fence(errors.New("database is locked")), KindStorage, OutcomeRetry},
		{"storage not found", fmt.Errorf("%w: account: %v", errStorage, store.ErrNotFound), KindStorage, OutcomeRetry},
		{"bad download", fmt.Errorf("%w: 3 columns, want 14", errBadDownload), KindBadDownload, OutcomeRetry},
		{"fenced write refused", fence(fmt.Errorf("record file: %w", store.ErrLeaseLost)), KindLease, OutcomeLeaseLost},
		{"guard deadline", fmt.Errorf("%w: %w", naver.ErrDeadline, errLeaseLost), KindLease, OutcomeLeaseLost},
		{"cancel requested", errCancelRequest, KindCanceled, OutcomeCanceled},
		{"files damaged", fmt.Errorf("%w: 2 files", errFilesDamaged), KindStorage, OutcomeRefetch},
	}
	seen := map[ErrorKind]bool{KindShutdown: true}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := classify(c.err)
			if f.Kind != c.kind || f.Outcome != c.outcome {
				t.Fatalf("classify(%q) = %s, %s; want %s, %s", c.err, f.Kind, f.Outcome, c.kind, c.outcome)
			}
			if !strings.Contains(f.Message, c.err.Error()) {
				t.Fatalf("classify(%q): message %q does not carry the error", c.err, f.Message)
			}
		})
		seen[c.kind] = true
	}
	for _, k := range ErrorKinds() {
		if !seen[k] {
			t.Errorf("kind %s: no case", k)
		}
	}
}
