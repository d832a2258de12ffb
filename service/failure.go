package service

import (
	"context"
	"errors"
	"fmt"

	"github.com/naversync/naversync/google"
	"github.com/naversync/naversync/naver"
	"github.com/naversync/naversync/report"
	"github.com/naversync/naversync/store"
)

// This file holds the service's failure rules in one place: which kind an error is (what a
// sync's error says, what the metrics count) and what the worker lifecycle does with it (retry,
// fail, requeue, wait), in the spirit of River's job outcomes.

// ErrorKind names what went wrong, for clients to branch on: a sync's error kind (SyncError in
// openapi.yaml lists exactly these) and the label of the error metrics.
type ErrorKind string

// The kinds the service reports.
const (
	// Naver.
	KindAuth         ErrorKind = "auth"          // Naver refused the account's credentials
	KindRateLimited  ErrorKind = "rate_limited"  // Naver's rate limit
	KindMaintenance  ErrorKind = "maintenance"   // Naver under maintenance
	KindNotReady     ErrorKind = "not_ready"     // a report Naver has not built yet
	KindNotServed    ErrorKind = "not_served"    // a report Naver does not serve
	KindReportFailed ErrorKind = "report_failed" // Naver failed to build a report
	KindNotFound     ErrorKind = "not_found"     // a report job vanished at Naver
	KindTransport    ErrorKind = "transport"     // Naver could not be reached
	KindCanceled     ErrorKind = "canceled"      // the call was canceled or ran out of time
	KindNaverJobs    ErrorKind = "naver_jobs"    // no room among the customer's report jobs at Naver
	KindOther        ErrorKind = "other"         // anything else
	// Google Sheets.
	KindTooLarge            ErrorKind = "too_large"             // the table does not fit the sheet
	KindNotShared           ErrorKind = "not_shared"            // the spreadsheet is not shared with us
	KindSpreadsheetNotFound ErrorKind = "spreadsheet_not_found" // the spreadsheet does not exist
	KindQuota               ErrorKind = "quota"                 // Google's quota
	KindSheet               ErrorKind = "sheet"                 // another failure writing the sheet
	KindConsentNeeded       ErrorKind = "consent_needed"        // the tab holds data naversync did not write
	// Our side.
	KindStorage     ErrorKind = "storage"      // our database or file store
	KindBadDownload ErrorKind = "bad_download" // a download that is not a whole report
	KindLease       ErrorKind = "lease"        // the claim was lost; the sync was requeued
	KindShutdown    ErrorKind = "shutdown"     // a shutdown sent the sync back to the queue
)

// ErrorKinds lists every kind the service reports, in the order of openapi.yaml's enum.
func ErrorKinds() []ErrorKind {
	return []ErrorKind{
		KindAuth, KindRateLimited, KindMaintenance, KindNotReady, KindNotServed, KindReportFailed,
		KindNotFound, KindTransport, KindCanceled, KindNaverJobs, KindOther,
		KindTooLarge, KindNotShared, KindSpreadsheetNotFound, KindQuota, KindSheet, KindConsentNeeded,
		KindStorage, KindBadDownload, KindLease, KindShutdown,
	}
}

// Outcome is what the worker lifecycle does with a claimed sync whose work failed.
type Outcome int

const (
	// OutcomeRetry: a passing failure; the sync is requeued with backoff while attempts remain,
	// then fails.
	OutcomeRetry Outcome = iota + 1
	// OutcomeFail: the sync fails for good; a person must act.
	OutcomeFail
	// OutcomeLeaseLost: the claim was lost or could lapse; the worker stops and requeues the
	// sync if the claim is still its own.
	OutcomeLeaseLost
	// OutcomeCanceled: a user asked to cancel the sync.
	OutcomeCanceled
	// OutcomeWaitNaverJobs: no room among the customer's report jobs at Naver; the sync waits.
	OutcomeWaitNaverJobs
	// OutcomeRefetch: stored files were damaged; the sync is requeued to fetch them again.
	OutcomeRefetch
	// OutcomeWaitQuota: a sheet write ended waiting for Google's quota (the writer retries
	// quota answers for as long as the claim lasts): the sync goes back to its queue and the
	// claim uses no attempt. Quota is a wait, never a failure of the sync.
	OutcomeWaitQuota
)

func (o Outcome) String() string {
	switch o {
	case OutcomeRetry:
		return "retry"
	case OutcomeFail:
		return "fail"
	case OutcomeLeaseLost:
		return "lease_lost"
	case OutcomeCanceled:
		return "canceled"
	case OutcomeWaitNaverJobs:
		return "wait_naver_jobs"
	case OutcomeRefetch:
		return "refetch"
	case OutcomeWaitQuota:
		return "wait_quota"
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// Failure is an error's kind, what to do with it, and the message a user reads.
type Failure struct {
	Kind    ErrorKind
	Outcome Outcome
	Message string
}

// Sentinels the service's own code wraps, so that classify can tell them apart.
var (
	// errLeaseLost: the claim was taken over (a renewal or a fenced write was refused), or it
	// could have lapsed before a renewal succeeded. The worker stops at once and writes nothing.
	errLeaseLost = errors.New("lease lost: another worker may hold this sync now")
	// errCancelRequest: a user asked to cancel the sync.
	errCancelRequest = errors.New("sync canceled")
	// errStorage marks failures of our own database or file store (retried: they are usually brief).
	errStorage = errors.New("storage")
	// errBadDownload: a download that does not read back as its report (retried: the job is kept
	// and downloaded again).
	errBadDownload = errors.New("download is not a whole report")
	// errSheet marks failures of writing the sheet.
	errSheet = errors.New("sheet")
	// errFilesDamaged: stored files of the account's days could not be read back as recorded; they
	// are fetched again.
	errFilesDamaged = errors.New("stored report files damaged")
)

// classify is the one place that decides what an error of a claimed sync's work is and what
// happens to the sync. A shutdown is not an error's property: the lifecycle checks its own
// context for it after the lease, cancel, wait and refetch outcomes and before retry or fail.
func classify(err error) Failure {
	var full *naverJobsFull
	switch {
	case errors.Is(err, errLeaseLost):
		return Failure{KindLease, OutcomeLeaseLost, err.Error()}
	case errors.Is(err, errCancelRequest):
		return Failure{KindCanceled, OutcomeCanceled, err.Error()}
	case errors.As(err, &full):
		return Failure{KindNaverJobs, OutcomeWaitNaverJobs, err.Error()}
	case errors.Is(err, errFilesDamaged):
		return Failure{KindStorage, OutcomeRefetch, err.Error()}
	}
	kind := naverErrorKind(err)
	switch {
	case errors.Is(err, naver.ErrAuth):
		return Failure{KindAuth, OutcomeFail, "Naver refused the account's credentials: fix the API key, secret key or customer id of the account, then retry (" + err.Error() + ")"}
	case errors.Is(err, ErrConsentNeeded):
		return Failure{KindConsentNeeded, OutcomeFail, err.Error()}
	case errors.Is(err, errSheet):
		kind := sheetErrorKind(err)
		out := OutcomeRetry // server errors may pass; a missing share or a too-large table won't
		switch kind {
		case KindTooLarge, KindNotShared, KindSpreadsheetNotFound:
			out = OutcomeFail
		case KindQuota:
			out = OutcomeWaitQuota
		}
		return Failure{kind, out, err.Error()}
	case naver.IsTransient(err):
		return Failure{kind, OutcomeRetry, err.Error()}
	case errors.Is(err, naver.ErrNotFound), errors.Is(err, naver.ErrReportFailed), errors.Is(err, naver.ErrDataChanged):
		// Jobs that vanished (the 100-job cap, another tool's delete-all), failed to build or
		// changed under us more often than the client re-creates them: a later attempt, with
		// fresh jobs, usually works (Naver's notices say as much for ERROR).
		return Failure{kind, OutcomeRetry, err.Error()}
	case errors.Is(err, errStorage), errors.Is(err, report.ErrSpill):
		return Failure{KindStorage, OutcomeRetry, err.Error()}
	case errors.Is(err, errBadDownload):
		return Failure{KindBadDownload, OutcomeRetry, err.Error()}
	case errors.Is(err, naver.ErrUncertain):
		// A create whose answer was lost: the next attempt settles it from the journal.
		return Failure{kind, OutcomeRetry, err.Error()}
	}
	return Failure{kind, OutcomeFail, err.Error()}
}

// naverErrorKind names an error from Naver for metrics and sync errors.
func naverErrorKind(err error) ErrorKind {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return KindCanceled
	case errors.Is(err, naver.ErrAuth):
		return KindAuth
	case errors.Is(err, naver.ErrRateLimited):
		return KindRateLimited
	case errors.Is(err, naver.ErrMaintenance):
		return KindMaintenance
	case errors.Is(err, naver.ErrNotReady):
		return KindNotReady
	case errors.Is(err, naver.ErrNotServed):
		return KindNotServed
	case errors.Is(err, naver.ErrReportFailed):
		return KindReportFailed
	case errors.Is(err, naver.ErrNotFound):
		return KindNotFound
	case errors.Is(err, naver.ErrTransport):
		return KindTransport
	default:
		return KindOther
	}
}

// sheetErrorKind names a Sheets failure.
func sheetErrorKind(err error) ErrorKind {
	var tl *google.TooLargeError
	switch {
	case errors.As(err, &tl):
		return KindTooLarge
	case errors.Is(err, google.ErrNotShared):
		return KindNotShared
	case errors.Is(err, google.ErrSpreadsheetNotFound):
		return KindSpreadsheetNotFound
	case errors.Is(err, google.ErrQuota):
		return KindQuota
	}
	return KindSheet
}

// fence turns a refused fenced write into errLeaseLost and other store failures into errStorage.
func fence(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrLeaseLost):
		return fmt.Errorf("%w: %v", errLeaseLost, err)
	}
	return fmt.Errorf("%w: %v", errStorage, err)
}

// mapStoreErr turns the store's errors into the service's (for the API's callers).
func mapStoreErr(op string, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fmt.Errorf("%s: %w", op, ErrNotFound)
	case errors.Is(err, store.ErrConflict):
		return fmt.Errorf("%s: %w", op, ErrConflict)
	case errors.Is(err, store.ErrKeyReused):
		return fmt.Errorf("%s: %w", op, ErrKeyReused)
	case errors.Is(err, store.ErrBadCursor):
		return &ValidationError{Fields: []FieldError{FieldErr("cursor", Msg(MsgFieldUnknownCursor, "not a next_cursor this service handed out"))}}
	default:
		return fmt.Errorf("%s: %w", op, err)
	}
}
