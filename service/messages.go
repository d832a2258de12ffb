package service

import (
	"encoding/json"
	"strconv"
)

// MessageCode names a sentence the service says to people (a refusal, a field's problem, a
// day's state, a sync's error, an audit entry's detail, a scheduler run's outcome), so that a
// client can say it in its own language: the English text is sent beside it, unchanged, for
// clients that ignore codes. Codes are stable: a code's meaning and its parameters never change
// (a new sentence gets a new code). openapi.yaml lists them (MessageCode); the console's
// catalogue (console/static/i18n.js) has an English and a Korean text for each.
type MessageCode string

// MessageParams are the values a code's sentence names ({name} in the catalogue's texts):
// ids, names, numbers, dates, e-mail addresses, never a sentence in English, except a
// parameter named "error" (a dependency's own words, shown only where the catalogue says).
type MessageParams map[string]string

// Message is a sentence: its code, its parameters and its English text.
type Message struct {
	Code   MessageCode
	Params MessageParams
	Text   string
}

// Msg makes a Message: kv are the parameters as name, value pairs.
func Msg(code MessageCode, text string, kv ...string) Message {
	m := Message{Code: code, Text: text}
	if len(kv) > 1 {
		m.Params = make(MessageParams, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			m.Params[kv[i]] = kv[i+1]
		}
	}
	return m
}

// encodeParams stores p as a JSON object ("" for none).
func encodeParams(p MessageParams) string {
	if len(p) == 0 {
		return ""
	}
	b, err := json.Marshal(p)
	if err != nil {
		return ""
	}
	return string(b)
}

// decodeParams reads what encodeParams stored (nil for "" or anything else).
func decodeParams(s string) MessageParams {
	if s == "" {
		return nil
	}
	var p MessageParams
	if err := json.Unmarshal([]byte(s), &p); err != nil {
		return nil
	}
	return p
}

func itoa(n int) string { return strconv.Itoa(n) }

// The codes. Problems (an API refusal's code beside its detail).
const (
	MsgInvalidFields      MessageCode = "problem.invalid_fields"
	MsgSheetNotEditable   MessageCode = "problem.sheet_not_editable"
	MsgUnknownIdentity    MessageCode = "problem.unknown_identity"
	MsgNoConsentWaiting   MessageCode = "problem.no_consent_waiting"
	MsgNotFound           MessageCode = "problem.not_found"
	MsgNoRoute            MessageCode = "problem.no_route"
	MsgConflict           MessageCode = "problem.conflict"
	MsgKeyReused          MessageCode = "problem.key_reused"
	MsgKeyInUse           MessageCode = "problem.key_in_use"
	MsgNaverUnavailable   MessageCode = "problem.naver_unavailable"
	MsgSheetsUnavailable  MessageCode = "problem.sheets_unavailable"
	MsgUnavailable        MessageCode = "problem.unavailable"
	MsgTimeout            MessageCode = "problem.timeout"
	MsgCanceled           MessageCode = "problem.canceled"
	MsgInternal           MessageCode = "problem.internal"
	MsgMediaType          MessageCode = "problem.media_type"
	MsgBodyOneValue       MessageCode = "problem.body_one_value"
	MsgBodyTooLarge       MessageCode = "problem.body_too_large" // max (bytes)
	MsgBodyEmpty          MessageCode = "problem.body_empty"
	MsgBodyTruncated      MessageCode = "problem.body_truncated"
	MsgBodySyntax         MessageCode = "problem.body_syntax" // offset (byte)
	MsgBodyNotObject      MessageCode = "problem.body_not_object"
	MsgBodyUndecodable    MessageCode = "problem.body_undecodable"
	MsgShuttingDown       MessageCode = "problem.shutting_down"
	MsgServiceStopping    MessageCode = "problem.service_stopping"
	MsgNotReady           MessageCode = "problem.not_ready"
	MsgUnauthorized       MessageCode = "problem.unauthorized"
	MsgTooManyStreams     MessageCode = "problem.too_many_streams"   // max
	MsgMethodNotAllowed   MessageCode = "problem.method_not_allowed" // method
	MsgReadOnlyRole       MessageCode = "problem.read_only_role"     // role
	MsgAdminOnly          MessageCode = "problem.admin_only"         // role
	MsgWebhookFailed      MessageCode = "problem.webhook_failed"     // error, error_code[, status]
	MsgCredentialsRefused MessageCode = "credentials.refused"
	MsgSecretMismatch     MessageCode = "credentials.secret_mismatch"
	MsgUnknownAPIKey      MessageCode = "credentials.unknown_api_key"
	MsgClockSkew          MessageCode = "credentials.clock_skew"
	MsgCustomerNotAllowed MessageCode = "credentials.customer_not_allowed" // customer_id
)

// Field errors and warnings (FieldError's code beside its reason).
const (
	MsgFieldType           MessageCode = "field.type" // type: string, boolean, integer, number, object, array, other
	MsgFieldUnknown        MessageCode = "field.unknown"
	MsgFieldAtLeastOne     MessageCode = "field.at_least_one"
	MsgFieldStreamCursor   MessageCode = "field.stream_cursor"
	MsgFieldIdemKey        MessageCode = "field.idempotency_key"
	MsgFieldAccountID      MessageCode = "field.account_id"
	MsgFieldCustomerID     MessageCode = "field.customer_id"
	MsgFieldStatusList     MessageCode = "field.status_list"
	MsgFieldTime           MessageCode = "field.time"
	MsgFieldLimit          MessageCode = "field.limit"
	MsgFieldAfterCursor    MessageCode = "field.after_cursor"
	MsgFieldPageCursor     MessageCode = "field.page_cursor"
	MsgFieldUnknownCursor  MessageCode = "field.unknown_cursor"
	MsgFieldNoSuchAccount  MessageCode = "field.no_such_account"
	MsgFieldSpreadsheet    MessageCode = "field.spreadsheet"
	MsgFieldDaysOrRange    MessageCode = "field.days_or_range"
	MsgFieldDaysPositive   MessageCode = "field.days_positive"
	MsgFieldDaysMax        MessageCode = "field.days_max"       // max, served_days, first, last
	MsgFieldRequiredWith   MessageCode = "field.required_with"  // other
	MsgFieldNotADate       MessageCode = "field.not_a_date"     // value
	MsgFieldToBeforeFrom   MessageCode = "field.to_before_from" // to, from
	MsgFieldToNotPast      MessageCode = "field.to_not_past"    // to, served_days, first, last
	MsgFieldFromTooOld     MessageCode = "field.from_too_old"   // from, served_days, first, last
	MsgFieldRangeTooLong   MessageCode = "field.range_too_long" // days, max
	MsgFieldRequired       MessageCode = "field.required"
	MsgFieldKeyTooLong     MessageCode = "field.key_too_long"
	MsgFieldHistoryOlder   MessageCode = "field.history_older"   // history_days, first, last
	MsgFieldHistoryClipped MessageCode = "field.history_clipped" // first, from, history_days, last
	MsgFieldIdentity       MessageCode = "field.identity"        // identity, allowed
	MsgFieldTabTaken       MessageCode = "field.tab_taken"
	MsgFieldTextRequired   MessageCode = "field.text_required" // max
	MsgFieldTooLong        MessageCode = "field.too_long"      // max, given
	MsgFieldUTF8           MessageCode = "field.utf8"
	MsgFieldControlChars   MessageCode = "field.control_chars"
	MsgFieldSpreadsheetID  MessageCode = "field.spreadsheet_id"
	MsgFieldTabChars       MessageCode = "field.tab_chars"
	MsgFieldTabReserved    MessageCode = "field.tab_reserved" // tab
	MsgFieldRefreshTime    MessageCode = "field.refresh_time" // timezone
	MsgFieldHistoryDays    MessageCode = "field.history_days" // served_days
	MsgFieldSheetLanguage  MessageCode = "field.sheet_language"
	MsgFieldLevel          MessageCode = "field.level"
	MsgFieldTabsRequired   MessageCode = "field.tabs_required" // kinds
	MsgFieldTabsUnknown    MessageCode = "field.tabs_unknown"  // kind, kinds
	MsgFieldTabsTwice      MessageCode = "field.tabs_twice"    // kind
	// MsgFieldTabTitlesKind: tab_titles names a kind that is not one of the account's tabs.
	MsgFieldTabTitlesKind MessageCode = "field.tab_titles_kind" // kind, tabs
	// MsgFieldTabTitlesPerformance: tab_titles gives the performance tab a title other than sheet_tab.
	MsgFieldTabTitlesPerformance MessageCode = "field.tab_titles_performance" // sheet_tab
	// MsgFieldTabTitlesSame: two tabs of the account would have one title.
	MsgFieldTabTitlesSame MessageCode = "field.tab_titles_same" // title, kind, other
	MsgFieldWebhookKind   MessageCode = "field.webhook_kind"
	MsgFieldWebhookURL    MessageCode = "field.webhook_url"
	MsgFieldWebhookEvent  MessageCode = "field.webhook_event" // event
	MsgSheetNotFound      MessageCode = "sheet.not_found"
	MsgSheetUnchecked     MessageCode = "sheet.unchecked"
	MsgSheetViewOnly      MessageCode = "sheet.view_only"   // email
	MsgSheetNotShared     MessageCode = "sheet.not_shared"  // email
	MsgSheetForeignTab    MessageCode = "sheet.foreign_tab" // tab
)

// The answer of a sheet check (SheetAccess.Message).
const (
	MsgSheetCheckEdit      MessageCode = "sheet_check.edit"
	MsgSheetCheckViewOnly  MessageCode = "sheet_check.view_only"  // email
	MsgSheetCheckNotShared MessageCode = "sheet_check.not_shared" // email
	MsgSheetCheckNotFound  MessageCode = "sheet_check.not_found"
)

// A day's reason (SyncDay).
const (
	MsgDayDamaged     MessageCode = "day.damaged"
	MsgDayPending     MessageCode = "day.pending"
	MsgDayNotYet      MessageCode = "day.not_yet"
	MsgDayPartly      MessageCode = "day.partly"
	MsgDayEnded       MessageCode = "day.ended"
	MsgDayNoData      MessageCode = "day.no_data"
	MsgDayRecheck     MessageCode = "day.recheck"
	MsgDayProvisional MessageCode = "day.provisional"
	// MsgDayTypeNotServed: a report of the day Naver does not serve (SyncDayReport.Code).
	MsgDayTypeNotServed MessageCode = "day.type_not_served" // report_type, served_days
)

// Audit entries' details and the scheduler's outcomes.
const (
	MsgAuditAccountCreate MessageCode = "audit.account_create" // name, customer_id, spreadsheet_id, tab
	MsgAuditAccountUpdate MessageCode = "audit.account_update" // name, fields
	MsgAuditAccountDelete MessageCode = "audit.account_delete" // name, customer_id, spreadsheet_id, tab
	MsgAuditConsent       MessageCode = "audit.consent"        // name, tab, spreadsheet_id
	MsgAuditSyncQueued    MessageCode = "audit.sync_queued"    // from, to, trigger
	MsgAuditSyncMerged    MessageCode = "audit.sync_merged"    // from, to, trigger
	MsgAuditSyncCancel    MessageCode = "audit.sync_cancel"    // from, to, status
	MsgAuditSyncRetry     MessageCode = "audit.sync_retry"     // id, from, to
	MsgAuditTabRenamed    MessageCode = "audit.tab_renamed"    // name, old, new
	// MsgAuditTabTitleRenamed: a person renamed a tab other than the performance tab.
	MsgAuditTabTitleRenamed MessageCode = "audit.tab_title_renamed"   // name, kind, old, new
	MsgAuditWebhookCreate   MessageCode = "audit.webhook_create"      // name, kind, host, events
	MsgAuditWebhookUpdate   MessageCode = "audit.webhook_update"      // name, host, fields
	MsgAuditWebhookDelete   MessageCode = "audit.webhook_delete"      // name, host
	MsgAuditWebhookTestOK   MessageCode = "audit.webhook_test_ok"     // name, host
	MsgAuditWebhookTestNo   MessageCode = "audit.webhook_test_failed" // name, host, error, error_code[, status]
	MsgAuditNotifyOK        MessageCode = "audit.notify_delivered"    // event, target, attempt
	MsgAuditNotifyRetry     MessageCode = "audit.notify_retry"        // event, target, attempt, at, error, error_code[, status]
	MsgAuditNotifyGivenUp   MessageCode = "audit.notify_given_up"     // event, target, attempt, error, error_code[, status]
	MsgRunQueued            MessageCode = "run.queued"                // syncs, accounts
	MsgRunQueuedErrors      MessageCode = "run.queued_errors"         // syncs, accounts, error
)

// A webhook delivery's failure (the error_code parameter beside error in problem.webhook_failed,
// audit.webhook_test_failed, audit.notify_retry and audit.notify_given_up), so that the console
// says the failure in the viewer's language and not only in the service's English.
const (
	MsgWebhookErrStatus     MessageCode = "webhook_error.status"          // status
	MsgWebhookErrUnreached  MessageCode = "webhook_error.unreached"       // error
	MsgWebhookErrStoredURL  MessageCode = "webhook_error.stored_url"      //
	MsgWebhookErrBody       MessageCode = "webhook_error.body"            //
	MsgWebhookErrDeleted    MessageCode = "webhook_error.target_deleted"  //
	MsgWebhookErrDisabled   MessageCode = "webhook_error.target_disabled" //
	MsgWebhookErrBadPayload MessageCode = "webhook_error.payload"         //
)

// A sync's error (SyncError's code): one per ErrorKind, params error (the error's text).
const (
	MsgSyncAuth                MessageCode = "sync_error.auth"
	MsgSyncRateLimited         MessageCode = "sync_error.rate_limited"
	MsgSyncMaintenance         MessageCode = "sync_error.maintenance"
	MsgSyncNotReady            MessageCode = "sync_error.not_ready"
	MsgSyncNotServed           MessageCode = "sync_error.not_served"
	MsgSyncReportFailed        MessageCode = "sync_error.report_failed"
	MsgSyncNotFound            MessageCode = "sync_error.not_found"
	MsgSyncTransport           MessageCode = "sync_error.transport"
	MsgSyncCanceled            MessageCode = "sync_error.canceled"
	MsgSyncNaverJobs           MessageCode = "sync_error.naver_jobs"
	MsgSyncOther               MessageCode = "sync_error.other"
	MsgSyncTooLarge            MessageCode = "sync_error.too_large"
	MsgSyncNotShared           MessageCode = "sync_error.not_shared"
	MsgSyncSpreadsheetNotFound MessageCode = "sync_error.spreadsheet_not_found"
	MsgSyncQuota               MessageCode = "sync_error.quota"
	MsgSyncSheet               MessageCode = "sync_error.sheet"
	MsgSyncConsentNeeded       MessageCode = "sync_error.consent_needed"
	MsgSyncStorage             MessageCode = "sync_error.storage"
	MsgSyncBadDownload         MessageCode = "sync_error.bad_download"
	MsgSyncLease               MessageCode = "sync_error.lease"
	MsgSyncShutdown            MessageCode = "sync_error.shutdown"
)

// syncErrorCodes gives each ErrorKind its code: a sync's error is stored with its kind, so its
// code is the kind's (and every error kind has one: TestEveryErrorKindHasACode).
var syncErrorCodes = map[ErrorKind]MessageCode{
	KindAuth: MsgSyncAuth, KindRateLimited: MsgSyncRateLimited, KindMaintenance: MsgSyncMaintenance,
	KindNotReady: MsgSyncNotReady, KindNotServed: MsgSyncNotServed, KindReportFailed: MsgSyncReportFailed,
	KindNotFound: MsgSyncNotFound, KindTransport: MsgSyncTransport, KindCanceled: MsgSyncCanceled,
	KindNaverJobs: MsgSyncNaverJobs, KindOther: MsgSyncOther, KindTooLarge: MsgSyncTooLarge,
	KindNotShared: MsgSyncNotShared, KindSpreadsheetNotFound: MsgSyncSpreadsheetNotFound, KindQuota: MsgSyncQuota,
	KindSheet: MsgSyncSheet, KindConsentNeeded: MsgSyncConsentNeeded, KindStorage: MsgSyncStorage,
	KindBadDownload: MsgSyncBadDownload, KindLease: MsgSyncLease, KindShutdown: MsgSyncShutdown,
}

// Code is the message code of a sync's error of kind k (sync_error.other for a kind it does
// not know, e.g. one a newer release stored).
func (k ErrorKind) Code() MessageCode {
	if c, ok := syncErrorCodes[k]; ok {
		return c
	}
	return MsgSyncOther
}

// MessageCodes lists every code the service sends, in the order of openapi.yaml's list.
func MessageCodes() []MessageCode {
	return []MessageCode{
		MsgInvalidFields, MsgSheetNotEditable, MsgUnknownIdentity, MsgNoConsentWaiting, MsgNotFound, MsgNoRoute,
		MsgConflict, MsgKeyReused, MsgKeyInUse, MsgNaverUnavailable, MsgSheetsUnavailable, MsgUnavailable,
		MsgTimeout, MsgCanceled, MsgInternal, MsgMediaType, MsgBodyOneValue, MsgBodyTooLarge, MsgBodyEmpty,
		MsgBodyTruncated, MsgBodySyntax, MsgBodyNotObject, MsgBodyUndecodable, MsgShuttingDown, MsgServiceStopping,
		MsgNotReady, MsgUnauthorized, MsgTooManyStreams, MsgMethodNotAllowed, MsgReadOnlyRole, MsgAdminOnly, MsgWebhookFailed,
		MsgCredentialsRefused, MsgSecretMismatch, MsgUnknownAPIKey, MsgClockSkew, MsgCustomerNotAllowed,

		MsgFieldType, MsgFieldUnknown, MsgFieldAtLeastOne, MsgFieldStreamCursor, MsgFieldIdemKey, MsgFieldAccountID,
		MsgFieldCustomerID, MsgFieldStatusList, MsgFieldTime, MsgFieldLimit, MsgFieldAfterCursor, MsgFieldPageCursor,
		MsgFieldUnknownCursor, MsgFieldNoSuchAccount, MsgFieldSpreadsheet, MsgFieldDaysOrRange, MsgFieldDaysPositive,
		MsgFieldDaysMax, MsgFieldRequiredWith, MsgFieldNotADate, MsgFieldToBeforeFrom, MsgFieldToNotPast,
		MsgFieldFromTooOld, MsgFieldRangeTooLong, MsgFieldRequired, MsgFieldKeyTooLong, MsgFieldHistoryOlder,
		MsgFieldHistoryClipped, MsgFieldIdentity, MsgFieldTabTaken, MsgFieldTextRequired, MsgFieldTooLong,
		MsgFieldUTF8, MsgFieldControlChars, MsgFieldSpreadsheetID, MsgFieldTabChars, MsgFieldTabReserved,
		MsgFieldRefreshTime, MsgFieldHistoryDays, MsgFieldSheetLanguage, MsgFieldLevel,
		MsgFieldTabsRequired, MsgFieldTabsUnknown, MsgFieldTabsTwice,
		MsgFieldTabTitlesKind, MsgFieldTabTitlesPerformance, MsgFieldTabTitlesSame,
		MsgFieldWebhookKind, MsgFieldWebhookURL, MsgFieldWebhookEvent,
		MsgSheetNotFound, MsgSheetUnchecked, MsgSheetViewOnly, MsgSheetNotShared, MsgSheetForeignTab,
		MsgSheetCheckEdit, MsgSheetCheckViewOnly, MsgSheetCheckNotShared, MsgSheetCheckNotFound,

		MsgDayDamaged, MsgDayPending, MsgDayNotYet, MsgDayPartly, MsgDayEnded, MsgDayNoData, MsgDayRecheck,
		MsgDayProvisional, MsgDayTypeNotServed,

		MsgAuditAccountCreate, MsgAuditAccountUpdate, MsgAuditAccountDelete, MsgAuditConsent, MsgAuditSyncQueued,
		MsgAuditSyncMerged, MsgAuditSyncCancel, MsgAuditSyncRetry, MsgAuditTabRenamed, MsgAuditTabTitleRenamed,
		MsgAuditWebhookCreate, MsgAuditWebhookUpdate, MsgAuditWebhookDelete, MsgAuditWebhookTestOK, MsgAuditWebhookTestNo,
		MsgAuditNotifyOK, MsgAuditNotifyRetry, MsgAuditNotifyGivenUp, MsgRunQueued, MsgRunQueuedErrors,
		MsgWebhookErrStatus, MsgWebhookErrUnreached, MsgWebhookErrStoredURL, MsgWebhookErrBody, MsgWebhookErrDeleted,
		MsgWebhookErrDisabled, MsgWebhookErrBadPayload,

		MsgSyncAuth, MsgSyncRateLimited, MsgSyncMaintenance, MsgSyncNotReady, MsgSyncNotServed, MsgSyncReportFailed,
		MsgSyncNotFound, MsgSyncTransport, MsgSyncCanceled, MsgSyncNaverJobs, MsgSyncOther, MsgSyncTooLarge,
		MsgSyncNotShared, MsgSyncSpreadsheetNotFound, MsgSyncQuota, MsgSyncSheet, MsgSyncConsentNeeded,
		MsgSyncStorage, MsgSyncBadDownload, MsgSyncLease, MsgSyncShutdown,
	}
}
