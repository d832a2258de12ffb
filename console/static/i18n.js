// The console's words in English and Korean. The language follows the browser (Korean when it
// prefers Korean, else English) until the operator switches it; the choice is kept in
// localStorage. Static text carries data-i18n="key" (and data-i18n-aria-label, -placeholder,
// -title for attributes); dynamic text calls t(key, {params}).

import { messages } from "./messages.js";

const storeKey = "naversync.lang";

const en = {
  "skip": "Skip to content",
  "console": "console",
  "nav.sections": "Sections",
  "nav.accounts": "Accounts",
  "nav.syncs": "Syncs",
  "nav.locks": "Customer locks",
  "nav.timeline": "Timeline",
  "nav.scheduler": "Scheduler",
  "nav.audit": "Audit log",
  "lang.switch": "한국어",
  "lang.switchLabel": "Language: 한국어로 보기",
  "forgetToken": "Forget token",
  "auth.title": "API token",
  "auth.explain": "This service needs an API token (one of NAVERSYNC_API_TOKENS). It is kept in this tab only and sent as a bearer token.",
  "auth.token": "Token",
  "auth.use": "Use token",
  "auth.enter": "Enter a token.",
  "auth.refused": "The token was refused (401 Unauthorized). Check it and enter it again.",
  "info.version": "version {v}",
  "info.share": "share sheets with {email}",
  "info.identities": "{n} Google identities: {list}",
  "info.served": "Naver serves {from} to {to}",
  "role.viewer": "Read only: this token is a viewer's; it cannot change anything.",
  "role.operator": "Operator",
  "role.admin": "Full rights",
  "role.anonymous": "No token needed here (authentication is off)",

  "accounts.title": "Accounts",
  "accounts.add": "Add account",
  "accounts.empty": "No accounts yet. Add one with “Add account”.",
  "range.legend": "Range for “Sync now”",
  "range.last": "Last",
  "range.daysLabel": "Number of days",
  "range.days": "days (ending yesterday)",
  "range.from": "From",
  "range.firstDay": "First day",
  "range.to": "to",
  "range.errDays": "Choose 1 to 365 days.",
  "range.errBoth": "Choose both the first and the last day.",
  "range.errOrder": "The first day must not be after the last day.",
  "col.name": "Name",
  "col.customer": "Customer",
  "col.sheet": "Sheet",
  "col.lastSuccess": "Last success",
  "col.data": "Data",
  "col.nextRefresh": "Next refresh",
  "col.actions": "Actions",
  "col.sync": "Sync",
  "col.account": "Account",
  "col.range": "Range",
  "col.status": "Status",
  "col.progress": "Progress",
  "col.timings": "Timings",
  "col.heldBy": "Held by",
  "col.worker": "Worker",
  "col.since": "Since",
  "col.until": "Until",
  "col.waiting": "Waiting",
  "col.run": "Run",
  "col.started": "Started",
  "col.finished": "Finished",
  "col.outcome": "Outcome",
  "col.when": "When",
  "col.who": "Who",
  "col.what": "What",
  "col.fields": "Fields",
  "col.detail": "Detail",
  "badge.fresh": "fresh",
  "badge.stale": "stale",
  "badge.never": "never",
  "data.through": "through {day}",
  "refresh.off": "off",
  "refresh.noScheduler": "no scheduler here",
  "refresh.own": "daily at {time}",
  "act.sync": "Sync now",
  "act.syncLabel": "Sync now: {name}",
  "act.edit": "Edit",
  "act.editLabel": "Edit account {name}",
  "act.delete": "Delete",
  "act.deleteLabel": "Delete account {name}",
  "act.cancel": "Cancel",
  "act.cancelLabel": "Cancel sync {id}",
  "act.retry": "Retry",
  "act.retryLabel": "Retry sync {id}",
  "sheet.opens": " (opens Google Sheets)",
  "sheet.nearLimit": "Spreadsheet {pct}% full: {cells} of Google's {limit} cells. Largest tabs: {tabs}. When it is full, the oldest days are left out.",

  "syncs.title": "Syncs",
  "syncs.live": "live",
  "syncs.empty": "No syncs match.",
  "filter.status": "Status",
  "filter.account": "Account",
  "filter.customer": "Customer",
  "filter.all": "all",
  "filter.active": "active",
  "status.queued": "queued",
  "status.fetching": "fetching",
  "status.processing": "processing",
  "status.succeeded": "succeeded",
  "status.failed": "failed",
  "status.canceled": "canceled",
  "phase.queued": "queued",
  "phase.waiting_customer": "waiting customer",
  "phase.waiting_naver_jobs": "waiting naver jobs",
  "phase.fetching": "fetching",
  "phase.awaiting_processing": "awaiting processing",
  "phase.processing": "processing",
  "phase.writing": "writing",
  "phase.done": "done",
  "trigger.manual": "manual",
  "trigger.scheduled": "scheduled",
  "trigger.retry": "retry",
  "trigger.backfill": "backfill",
  "sync.retryOf": "{trigger} of {id}",
  "sync.customer": "customer {c}",
  "sync.cancelRequested": " · cancel requested",
  "sync.reports": "{n} / {total} reports · {rows} rows",
  "sync.reportsLabel": "Reports fetched for sync {id}",
  "sync.openLabel": "Open sync {id}",
  "t.queued": "queued {t}",
  "t.lockWait": "lock wait {d}",
  "t.waiting": "waiting {d}",
  "t.fetch": "fetch {d}",
  "t.processing": "processing {d}",
  "t.writing": "writing {d}",
  "t.total": "total {d}",

  "locks.title": "Customer locks",
  "locks.hint": "A Naver customer's lease is held only while a sync talks to Naver; other syncs of that customer wait.",
  "locks.empty": "No customer lease is held right now.",
  "locks.token": "token {n}",
  "locks.held": "held {d}",
  "locks.in": "in {d} unless renewed",
  "locks.expired": "expired",
  "locks.none": "none",

  "timeline.title": "Timeline per customer",
  "timeline.legend": "Legend",
  "timeline.empty": "No sync has started yet.",
  "timeline.customer": "Customer {c}",
  "timeline.summary": "Customer {c}: {n} sync(s) over {d}",
  "seg.wait": "lock wait",
  "seg.fetch": "fetch (lock held)",
  "seg.idle": "awaiting processing",
  "seg.proc": "processing",
  "seg.write": "writing",

  "sched.title": "Scheduler",
  "sched.run": "Run the refresh now",
  "sched.summary": "Morning refresh {schedule} ({tz}); next: {next}. Accounts with their own time are refreshed then.",
  "sched.off": "No scheduler runs in this process: scheduled refreshes are off here.",
  "sched.noRuns": "No refresh has run yet.",
  "sched.queued": "Refresh queued {n} syncs.",
  "sched.running": "running",
  "morning.title": "Today's refresh",
  "morning.none": "No scheduled sync has been queued today yet.",
  "morning.progress": "{done} of {planned} syncs done, {failed} failed, {remaining} to go.",
  "morning.finished": "All finished.",
  "morning.expected": "Expected end {at} ({in}), at the pace so far.",
  "morning.estimating": "The expected end is shown once the first sync has finished.",

  "audit.title": "Audit log",
  "audit.hint": "Every account change and every sync request: who, when, which fields. Secret values are never recorded.",
  "audit.empty": "Nothing changed yet.",
  "audit.account.create": "account added",
  "audit.account.update": "account changed",
  "audit.account.delete": "account deleted",
  "audit.account.consent": "consent to replace the tab's data",
  "audit.sync.create": "sync requested",
  "audit.sync.cancel": "sync canceled",
  "audit.sync.retry": "sync retried",
  "audit.refresh.run": "refresh run",
  "actor.token": "{role} token {fp}",
  "actor.viewer": "viewer",
  "actor.operator": "operator",
  "actor.admin": "admin",
  "actor.service": "naversync",
  "actor.anonymous": "anonymous (authentication off)",

  "sp.back": "← All syncs",
  "sp.title": "Sync {id} · {account}",
  "sp.timeline": "Timeline",
  "sp.days": "Days",
  "sp.daysHint": "Each day of the range, as the customer's stored reports stand now.",
  "sp.day": "Day",
  "sp.state": "State",
  "sp.why": "Why",
  "sp.reports": "Reports",
  "sp.range": "Range",
  "sp.trigger": "Trigger",
  "sp.attempts": "Attempts",
  "sp.openSheet": "Open the sheet at its tab",
  "sp.notFound": "No such sync.",
  "sp.loading": "Loading…",
  "day.fetched": "fetched",
  "day.none": "no data",
  "day.pending": "pending",
  "day.damaged": "damaged",
  "day.not_fetched": "not fetched",
  "report.built": "fetched",
  "report.none": "no data",
  "report.pending": "pending",
  "report.damaged": "damaged",
  "report.missing": "missing",
  "report.recheck": "asked again",
  "err.title": "What happened",
  "err.auth": "Naver refused the account's credentials (API key, secret key or customer id).",
  "err.authFix": "Fix the account's credentials",
  "err.notShared": "The spreadsheet is not shared with the service account. Share it with this address as an editor, then retry:",
  "err.consent": "The tab “{tab}” holds data naversync did not write, so nothing was written. Replace it with the report table? (Or give the account another tab.)",
  "err.consentFix": "Replace the tab's data and retry",
  "err.consentDone": "Consent recorded: the tab “{tab}” is replaced by the retry.",
  "err.notFound": "Google knows no spreadsheet with the account's id.",
  "err.sheetFix": "Fix the account's spreadsheet",
  "err.tooLarge": "The table does not fit in the spreadsheet (Google's limit is 10 million cells): choose a coarser level, or another spreadsheet.",
  "err.levelFix": "Change the account",
  "err.retryAt": "It is tried again automatically at {t} ({in}).",
  "err.quota": "A quota was used up (Google Sheets allows 60 writes a minute; Naver limits calls per customer).",
  "err.other": "The sync failed:",
  "err.detail": "Details: {kind}: {message}",

  "af.add": "Add an account",
  "af.edit": "Edit {name}",
  "af.advertiser": "Advertiser",
  "af.name": "Name",
  "af.customer": "Naver customer id",
  "af.customerHint": "Digits; shown at the top right of Naver's Search Ad system.",
  "af.apiKey": "API key (license)",
  "af.secretKey": "Secret key",
  "af.secretNew": "From Naver's Search Ad system, Tools > API manager. Stored encrypted; never shown again.",
  "af.secretKeep": "Leave empty to keep the stored secret key (it is never shown).",
  "af.checkCredentials": "Check credentials",
  "af.credOK": "✓ Naver accepts these credentials.",
  "af.credRefused": "Naver refused the credentials: see the field marked.",
  "af.checking": "Checking…",
  "af.sheet": "Sheet",
  "af.spreadsheet": "Spreadsheet address or id",
  "af.spreadsheetHint": "Paste the address of the spreadsheet from the browser.",
  "af.spreadsheetId": "Spreadsheet id: {id}",
  "af.spreadsheetIdGid": "Spreadsheet id: {id} (the address names tab gid {gid})",
  "af.badSpreadsheet": "Not a spreadsheet's address: it looks like https://docs.google.com/spreadsheets/d/…",
  "af.tab": "Tab",
  "af.tabConfirm": "The tab “{tab}” already holds other data. Saving the account makes naversync replace it with the report table at the next sync.",
  "af.tabConfirmNeeded": "Confirm that naversync may replace what this tab holds, or choose another tab.",
  "af.overwrite": "Use this tab: naversync replaces what it holds with the report table",
  "af.checkSheet": "Check sheet access",
  "af.sheetEdit": "✓ naversync may edit “{title}”.",
  "af.sheetRead": "The spreadsheet is shared for viewing only. Share it with this address as an editor:",
  "af.sheetNone": "The spreadsheet is not shared with naversync. Share it with this address as an editor:",
  "af.sheetNotFound": "Google knows no spreadsheet with this id: copy the address again from the browser.",
  "af.tabNew": "The tab “{tab}” will be created.",
  "af.tabOurs": "The tab “{tab}” holds naversync's table.",
  "af.identity": "Share the spreadsheet with (as an editor)",
  "af.identityOption": "{email} · accounts: {n}",
  "af.identityHint": "The Google service account that writes this sheet. Share the spreadsheet with this address as an editor; choosing another moves the account.",
  "af.identityOne": "The Google service account that writes this sheet: share the spreadsheet with this address as an editor.",
  "af.identityMove": "Moving the account: share the spreadsheet with {email} as an editor, then save. From now on syncs write with this address.",
  "af.moved": "{name} now writes with {email}: the spreadsheet must stay shared with this address as an editor.",
  "sheet.identity": "shared with {email}",
  "af.copy": "Copy",
  "af.copied": "Copied",
  "af.copyLabel": "Copy the e-mail address",
  "af.emailLabel": "The e-mail address to share the spreadsheet with",
  "af.level": "Rows per",
  "level.campaign": "campaign",
  "level.adgroup": "ad group",
  "level.keyword": "keyword",
  "af.language": "Sheet language",
  "af.languageEn": "English",
  "af.languageKo": "한국어 (Korean)",
  "af.languageHint": "Headers and labels of the sheet; a change rewrites the table at the next sync.",
  "af.history": "Days kept in the tab",
  "af.historyHint": "The last days up to yesterday, 1 to 365 (what Naver serves). Lowering it removes older days at the next sync; raising it fetches the added days.",
  "af.refresh": "Scheduled refresh",
  "af.refreshSchedule": "On the service's schedule",
  "af.refreshScheduleAt": "On the service's schedule ({schedule})",
  "af.refreshOwn": "Every day at",
  "af.refreshTime": "Refresh time",
  "af.refreshOff": "No scheduled refresh",
  "af.needTime": "Choose a time, HH:MM.",
  "af.save": "Save",
  "af.saving": "Saving…",
  "af.cancel": "Cancel",
  "af.saved": "Account {name} saved.",
  "af.savedWarn": "Account {name} saved, with warnings: {warnings}",
  "af.accessConfirm": "naversync cannot edit this spreadsheet yet: its syncs fail until it is shared with naversync as an editor.",
  "af.accessConfirmBox": "Save anyway: I will share it before the first sync",
  "af.nothing": "Nothing changed.",
  "af.fix": "Some fields need a change: see the messages beside them.",
  "af.tabs": "Tabs of the sheet",
  "af.tabsHint": "Each tab chosen is a tab of its own in the spreadsheet, written at every sync.",
  "af.tabPerformanceHint": "Impressions, clicks, cost and conversions per campaign, ad group or keyword and device (Naver's AD and AD_CONVERSION reports). Its tab is the Tab above.",
  "af.tabSearchTermsHint": "What people searched for when a Powerlink ad showed, per ad group and match type (Naver's EXPKEYWORD report: search media only, so its sums differ from the performance tab's).",
  "af.tabShoppingTermsHint": "What people searched for when a shopping ad showed, with its conversions (Naver's SHOPPINGKEYWORD_DETAIL report, 180 days; conversions only for the last 45 days).",
  "af.tabTitle": "Its tab",
  "tab.performance": "Performance",
  "tab.search_terms": "Search terms",
  "tab.shopping_terms": "Shopping search terms",
  "sheet.tabs": "tabs: {tabs}",
  "del.sheets": "The tabs {tabs} of its spreadsheet are left as they are, with the data they hold: delete them in Google Sheets if they are no longer needed.",
  "report.not_served": "not served",

  "del.title": "Delete {name}?",
  "del.syncs": "Its queued syncs are canceled; a sync already running finishes.",
  "del.secret": "Its secret key is wiped from the database; the audit log keeps a record of the deletion.",
  "del.sheet": "The tab “{tab}” of its spreadsheet is left as it is, with the data it holds: delete it in Google Sheets if it is no longer needed.",
  "del.files": "The reports downloaded for customer {customer} stay stored (other accounts of that customer id reuse them).",
  "del.confirm": "Delete the account",
  "del.keep": "Keep it",
  "del.done": "Account {name} deleted.",

  "msg.queued": "Sync {id} of {name} queued ({from} – {to}).",
  "msg.already": "Sync {id} of {name} is already {status}.",
  "msg.canceled": "Sync {id} canceled.",
  "msg.cancelRequested": "Sync {id}: cancel requested; it stops at the next step.",
  "msg.retried": "Sync {id} retried as {new}.",
  "msg.unreachable": "Cannot reach the service ({e}).",
  "msg.retrying": " Retrying…",
  "ago.now": "just now",
  "ago.min": "{n} min ago",
  "ago.h": "{n} h ago",
  "ago.days": "{n} days ago",
  "in.min": "in {n} min",
  "in.h": "in {n} h",
  "in.now": "now",
  // Notifications (notify.js).
  "nav.notifications": "Notifications",
  "notify.title": "Notifications",
  "notify.hint": "Slack, Google Chat or any webhook is told when a sync fails for good, an account is stale, and when it recovers. Webhook addresses are secrets: only their host is shown.",
  "notify.add": "Add webhook",
  "notify.empty": "No webhook yet.",
  "notify.col.name": "Name",
  "notify.col.kind": "Kind",
  "notify.col.host": "Host",
  "notify.col.events": "Events",
  "notify.col.enabled": "On",
  "notify.on": "on",
  "notify.off": "off",
  "notify.test": "Send test message",
  "notify.testing": "Sending…",
  "notify.testOK": "Delivered.",
  "notify.testFailed": "Not delivered: {why}",
  "notify.edit": "Edit",
  "notify.delete": "Delete",
  "notify.confirmDelete": "Delete the webhook “{name}”? Messages not yet sent to it are dropped.",
  "notify.addTitle": "Add webhook",
  "notify.editTitle": "Edit webhook “{name}”",
  "notify.name": "Name",
  "notify.kind": "Kind",
  "notify.kind.slack": "Slack",
  "notify.kind.google_chat": "Google Chat",
  "notify.kind.generic": "Generic JSON",
  "notify.url": "Webhook URL",
  "notify.urlHint": "The incoming webhook address from Slack or Google Chat. It is stored encrypted and never shown again.",
  "notify.urlKept": "Kept as it is ({host}) unless you type a new one.",
  "notify.events": "Events",
  "notify.event.sync_failed": "A sync failed for good",
  "notify.event.credentials_refused": "Naver refused the credentials",
  "notify.event.sheet_access_lost": "Sheet access lost",
  "notify.event.stale": "Data not refreshed by the set time",
  "notify.event.naver_jobs_wait": "Waiting long for Naver's report jobs",
  "notify.event.recovered": "Recovered",
  "notify.event.test": "Test message",
  "notify.enabled": "Enabled",
  "notify.saved": "Webhook saved.",
  "audit.webhook.create": "webhook added",
  "audit.webhook.update": "webhook changed",
  "audit.webhook.delete": "webhook deleted",
  "audit.webhook.test": "test message sent",
  "audit.notify.delivered": "notification delivered",
  "audit.notify.failed": "notification failed",
};

const ko = {
  "skip": "본문으로 건너뛰기",
  "console": "콘솔",
  "nav.sections": "섹션",
  "nav.accounts": "계정",
  "nav.syncs": "동기화",
  "nav.locks": "고객 잠금",
  "nav.timeline": "타임라인",
  "nav.scheduler": "예약 새로고침",
  "nav.audit": "변경 기록",
  "lang.switch": "English",
  "lang.switchLabel": "Language: view in English",
  "forgetToken": "토큰 지우기",
  "auth.title": "API 토큰",
  "auth.explain": "이 서비스는 API 토큰(NAVERSYNC_API_TOKENS 중 하나)이 필요합니다. 토큰은 이 탭에만 보관되며 Bearer 토큰으로 전송됩니다.",
  "auth.token": "토큰",
  "auth.use": "토큰 사용",
  "auth.enter": "토큰을 입력하세요.",
  "auth.refused": "토큰이 거부되었습니다(401 Unauthorized). 확인 후 다시 입력하세요.",
  "info.version": "버전 {v}",
  "info.share": "시트 공유 대상: {email}",
  "info.identities": "Google 계정 {n}개: {list}",
  "info.served": "네이버 제공 기간 {from} ~ {to}",
  "role.viewer": "읽기 전용: 조회자 토큰이라 아무것도 변경할 수 없습니다.",
  "role.operator": "운영자",
  "role.admin": "전체 권한",
  "role.anonymous": "토큰 없이 사용 중(인증 꺼짐)",

  "accounts.title": "계정",
  "accounts.add": "계정 추가",
  "accounts.empty": "아직 계정이 없습니다. “계정 추가”로 추가하세요.",
  "range.legend": "“지금 동기화” 기간",
  "range.last": "최근",
  "range.daysLabel": "일수",
  "range.days": "일 (어제까지)",
  "range.from": "시작일",
  "range.firstDay": "시작일",
  "range.to": "종료일",
  "range.errDays": "1~365일 중에서 고르세요.",
  "range.errBoth": "시작일과 종료일을 모두 고르세요.",
  "range.errOrder": "시작일이 종료일보다 늦을 수 없습니다.",
  "col.name": "이름",
  "col.customer": "고객 ID",
  "col.sheet": "시트",
  "col.lastSuccess": "마지막 성공",
  "col.data": "데이터",
  "col.nextRefresh": "다음 새로고침",
  "col.actions": "작업",
  "col.sync": "동기화",
  "col.account": "계정",
  "col.range": "기간",
  "col.status": "상태",
  "col.progress": "진행",
  "col.timings": "소요 시간",
  "col.heldBy": "보유 동기화",
  "col.worker": "워커",
  "col.since": "시작",
  "col.until": "만료",
  "col.waiting": "대기 중",
  "col.run": "실행",
  "col.started": "시작",
  "col.finished": "종료",
  "col.outcome": "결과",
  "col.when": "시각",
  "col.who": "누가",
  "col.what": "무엇을",
  "col.fields": "항목",
  "col.detail": "내용",
  "badge.fresh": "최신",
  "badge.stale": "오래됨",
  "badge.never": "없음",
  "data.through": "{day}까지",
  "refresh.off": "꺼짐",
  "refresh.noScheduler": "이 서버에 예약 없음",
  "refresh.own": "매일 {time}",
  "act.sync": "지금 동기화",
  "act.syncLabel": "지금 동기화: {name}",
  "act.edit": "수정",
  "act.editLabel": "{name} 계정 수정",
  "act.delete": "삭제",
  "act.deleteLabel": "{name} 계정 삭제",
  "act.cancel": "취소",
  "act.cancelLabel": "동기화 {id} 취소",
  "act.retry": "재시도",
  "act.retryLabel": "동기화 {id} 재시도",
  "sheet.opens": " (Google 스프레드시트 열기)",
  "sheet.nearLimit": "스프레드시트 {pct}% 사용: Google 한도 {limit}셀 중 {cells}셀. 큰 탭: {tabs}. 가득 차면 가장 오래된 날짜부터 빠집니다.",

  "syncs.title": "동기화",
  "syncs.live": "실시간",
  "syncs.empty": "해당하는 동기화가 없습니다.",
  "filter.status": "상태",
  "filter.account": "계정",
  "filter.customer": "고객 ID",
  "filter.all": "전체",
  "filter.active": "진행 중",
  "status.queued": "대기",
  "status.fetching": "가져오는 중",
  "status.processing": "처리 중",
  "status.succeeded": "성공",
  "status.failed": "실패",
  "status.canceled": "취소됨",
  "phase.queued": "대기",
  "phase.waiting_customer": "고객 잠금 대기",
  "phase.waiting_naver_jobs": "네이버 작업 대기",
  "phase.fetching": "가져오는 중",
  "phase.awaiting_processing": "처리 대기",
  "phase.processing": "처리 중",
  "phase.writing": "시트 쓰는 중",
  "phase.done": "완료",
  "trigger.manual": "수동",
  "trigger.scheduled": "예약",
  "trigger.retry": "재시도",
  "trigger.backfill": "전체 기간",
  "sync.retryOf": "{id}의 {trigger}",
  "sync.customer": "고객 {c}",
  "sync.cancelRequested": " · 취소 요청됨",
  "sync.reports": "보고서 {n} / {total} · {rows}행",
  "sync.reportsLabel": "동기화 {id}의 가져온 보고서",
  "sync.openLabel": "동기화 {id} 열기",
  "t.queued": "대기 시작 {t}",
  "t.lockWait": "잠금 대기 {d}",
  "t.waiting": "대기 {d}",
  "t.fetch": "가져오기 {d}",
  "t.processing": "처리 {d}",
  "t.writing": "쓰기 {d}",
  "t.total": "전체 {d}",

  "locks.title": "고객 잠금",
  "locks.hint": "네이버 고객 잠금은 동기화가 네이버와 통신하는 동안에만 유지되며, 같은 고객의 다른 동기화는 기다립니다.",
  "locks.empty": "지금 보유 중인 고객 잠금이 없습니다.",
  "locks.token": "토큰 {n}",
  "locks.held": "{d} 보유",
  "locks.in": "갱신되지 않으면 {d} 후",
  "locks.expired": "만료됨",
  "locks.none": "없음",

  "timeline.title": "고객별 타임라인",
  "timeline.legend": "범례",
  "timeline.empty": "아직 시작된 동기화가 없습니다.",
  "timeline.customer": "고객 {c}",
  "timeline.summary": "고객 {c}: 동기화 {n}건, {d}",
  "seg.wait": "잠금 대기",
  "seg.fetch": "가져오기(잠금 보유)",
  "seg.idle": "처리 대기",
  "seg.proc": "처리",
  "seg.write": "시트 쓰기",

  "sched.title": "예약 새로고침",
  "sched.run": "지금 새로고침 실행",
  "sched.summary": "아침 새로고침 {schedule} ({tz}); 다음: {next}. 자체 시각이 있는 계정은 그 시각에 새로고침합니다.",
  "sched.off": "이 프로세스에는 스케줄러가 없어 예약 새로고침이 꺼져 있습니다.",
  "sched.noRuns": "아직 실행된 새로고침이 없습니다.",
  "sched.queued": "새로고침으로 동기화 {n}건을 대기열에 넣었습니다.",
  "sched.running": "실행 중",
  "morning.title": "오늘의 새로고침",
  "morning.none": "오늘은 아직 대기열에 들어간 예약 동기화가 없습니다.",
  "morning.progress": "동기화 {planned}건 중 {done}건 완료, {failed}건 실패, {remaining}건 남음.",
  "morning.finished": "모두 끝났습니다.",
  "morning.expected": "지금까지의 속도로 {at}({in})에 끝날 예정입니다.",
  "morning.estimating": "첫 동기화가 끝나면 예상 종료 시각을 보여 줍니다.",

  "audit.title": "변경 기록",
  "audit.hint": "모든 계정 변경과 동기화 요청: 누가, 언제, 어떤 항목을. 비밀 값은 기록하지 않습니다.",
  "audit.empty": "아직 변경이 없습니다.",
  "audit.account.create": "계정 추가",
  "audit.account.update": "계정 변경",
  "audit.account.delete": "계정 삭제",
  "audit.account.consent": "탭 데이터 교체 동의",
  "audit.sync.create": "동기화 요청",
  "audit.sync.cancel": "동기화 취소",
  "audit.sync.retry": "동기화 재시도",
  "audit.refresh.run": "새로고침 실행",
  "actor.token": "{role} 토큰 {fp}",
  "actor.viewer": "조회자",
  "actor.operator": "운영자",
  "actor.admin": "관리자",
  "actor.service": "naversync",
  "actor.anonymous": "누구나(인증 꺼짐)",

  "sp.back": "← 전체 동기화",
  "sp.title": "동기화 {id} · {account}",
  "sp.timeline": "타임라인",
  "sp.days": "일자별 상태",
  "sp.daysHint": "기간의 각 날짜를, 지금 저장된 고객 보고서 기준으로 보여 줍니다.",
  "sp.day": "일자",
  "sp.state": "상태",
  "sp.why": "이유",
  "sp.reports": "보고서",
  "sp.range": "기간",
  "sp.trigger": "유형",
  "sp.attempts": "시도",
  "sp.openSheet": "시트의 해당 탭 열기",
  "sp.notFound": "그런 동기화가 없습니다.",
  "sp.loading": "불러오는 중…",
  "day.fetched": "가져옴",
  "day.none": "데이터 없음",
  "day.pending": "대기",
  "day.damaged": "손상됨",
  "day.not_fetched": "가져오지 않음",
  "report.built": "가져옴",
  "report.none": "데이터 없음",
  "report.pending": "대기",
  "report.damaged": "손상됨",
  "report.missing": "없음",
  "report.recheck": "다시 요청",
  "err.title": "무슨 일이 있었나요",
  "err.auth": "네이버가 계정의 인증 정보(API 키, 비밀키 또는 고객 ID)를 거부했습니다.",
  "err.authFix": "계정 인증 정보 고치기",
  "err.notShared": "스프레드시트가 서비스 계정과 공유되어 있지 않습니다. 이 주소에 편집자로 공유한 뒤 재시도하세요:",
  "err.consent": "“{tab}” 탭에 naversync가 쓰지 않은 데이터가 있어 아무것도 쓰지 않았습니다. 보고서 표로 바꿀까요? (또는 계정에 다른 탭을 지정하세요.)",
  "err.consentFix": "탭 데이터 교체 후 재시도",
  "err.consentDone": "동의를 기록했습니다: 재시도가 “{tab}” 탭을 바꿉니다.",
  "err.notFound": "Google에 계정의 ID를 가진 스프레드시트가 없습니다.",
  "err.sheetFix": "계정의 스프레드시트 고치기",
  "err.tooLarge": "표가 스프레드시트에 들어가지 않습니다(Google 한도 1,000만 셀). 더 큰 단위나 다른 스프레드시트를 고르세요.",
  "err.levelFix": "계정 변경",
  "err.retryAt": "{t}({in})에 자동으로 다시 시도합니다.",
  "err.quota": "할당량을 다 썼습니다(Google 스프레드시트는 분당 쓰기 60회, 네이버는 고객별 호출 수를 제한합니다).",
  "err.other": "동기화가 실패했습니다:",
  "err.detail": "자세히: {message}",

  "af.add": "계정 추가",
  "af.edit": "{name} 수정",
  "af.advertiser": "광고주",
  "af.name": "이름",
  "af.customer": "네이버 고객 ID",
  "af.customerHint": "숫자; 네이버 검색광고 시스템 오른쪽 위에 표시됩니다.",
  "af.apiKey": "API 키(액세스라이선스)",
  "af.secretKey": "비밀키",
  "af.secretNew": "네이버 검색광고 시스템의 도구 > API 사용 관리에서 복사하세요. 암호화해 저장하며 다시 보여 주지 않습니다.",
  "af.secretKeep": "비워 두면 저장된 비밀키를 유지합니다(비밀키는 표시되지 않습니다).",
  "af.checkCredentials": "인증 정보 확인",
  "af.credOK": "✓ 네이버가 이 인증 정보를 받아들입니다.",
  "af.credRefused": "네이버가 인증 정보를 거부했습니다. 표시된 항목을 확인하세요.",
  "af.checking": "확인 중…",
  "af.sheet": "시트",
  "af.spreadsheet": "스프레드시트 주소 또는 ID",
  "af.spreadsheetHint": "브라우저 주소창의 스프레드시트 주소를 붙여 넣으세요.",
  "af.spreadsheetId": "스프레드시트 ID: {id}",
  "af.spreadsheetIdGid": "스프레드시트 ID: {id} (주소의 탭 gid {gid})",
  "af.badSpreadsheet": "스프레드시트 주소가 아닙니다: https://docs.google.com/spreadsheets/d/… 형식입니다.",
  "af.tab": "탭",
  "af.tabConfirm": "“{tab}” 탭에 이미 다른 데이터가 있습니다. 계정을 저장하면 다음 동기화 때 naversync가 보고서 표로 바꿉니다.",
  "af.tabConfirmNeeded": "naversync가 이 탭의 내용을 바꿔도 되는지 확인하거나 다른 탭을 고르세요.",
  "af.overwrite": "이 탭 사용: naversync가 내용을 보고서 표로 바꿉니다",
  "af.checkSheet": "시트 접근 확인",
  "af.sheetEdit": "✓ naversync가 “{title}”을(를) 편집할 수 있습니다.",
  "af.sheetRead": "스프레드시트가 보기 전용으로 공유되어 있습니다. 이 주소에 편집자로 공유하세요:",
  "af.sheetNone": "스프레드시트가 naversync와 공유되어 있지 않습니다. 이 주소에 편집자로 공유하세요:",
  "af.sheetNotFound": "이 ID의 스프레드시트가 Google에 없습니다. 브라우저에서 주소를 다시 복사하세요.",
  "af.tabNew": "“{tab}” 탭을 새로 만듭니다.",
  "af.tabOurs": "“{tab}” 탭에는 naversync의 표가 있습니다.",
  "af.identity": "스프레드시트 공유 대상 (편집자)",
  "af.identityOption": "{email} · 계정 {n}개",
  "af.identityHint": "이 시트를 쓰는 Google 서비스 계정입니다. 스프레드시트를 이 주소에 편집자로 공유하세요. 다른 주소를 고르면 계정이 옮겨집니다.",
  "af.identityOne": "이 시트를 쓰는 Google 서비스 계정입니다. 스프레드시트를 이 주소에 편집자로 공유하세요.",
  "af.identityMove": "계정을 옮깁니다. 스프레드시트를 {email}에 편집자로 공유한 뒤 저장하세요. 이후 동기화는 이 주소로 씁니다.",
  "af.moved": "{name} 계정은 이제 {email}(으)로 씁니다. 스프레드시트가 이 주소에 편집자로 공유되어 있어야 합니다.",
  "sheet.identity": "공유 대상 {email}",
  "af.copy": "복사",
  "af.copied": "복사됨",
  "af.copyLabel": "이메일 주소 복사",
  "af.emailLabel": "스프레드시트를 공유할 이메일 주소",
  "af.level": "행 단위",
  "level.campaign": "캠페인",
  "level.adgroup": "광고그룹",
  "level.keyword": "키워드",
  "af.language": "시트 언어",
  "af.languageEn": "영어",
  "af.languageKo": "한국어",
  "af.languageHint": "시트의 머리글과 표시 문구; 바꾸면 다음 동기화 때 표를 다시 씁니다.",
  "af.history": "탭에 보관할 일수",
  "af.historyHint": "어제까지의 최근 일수, 1~365일(네이버가 제공하는 기간). 줄이면 다음 동기화 때 오래된 날이 지워지고, 늘리면 늘어난 날을 가져옵니다.",
  "af.refresh": "예약 새로고침",
  "af.refreshSchedule": "서비스 일정에 따라",
  "af.refreshScheduleAt": "서비스 일정에 따라 ({schedule})",
  "af.refreshOwn": "매일 이 시각에",
  "af.refreshTime": "새로고침 시각",
  "af.refreshOff": "예약 새로고침 안 함",
  "af.needTime": "시각(HH:MM)을 고르세요.",
  "af.save": "저장",
  "af.saving": "저장 중…",
  "af.cancel": "취소",
  "af.saved": "{name} 계정을 저장했습니다.",
  "af.savedWarn": "{name} 계정을 저장했습니다. 경고: {warnings}",
  "af.accessConfirm": "naversync가 아직 이 스프레드시트를 편집할 수 없습니다. naversync에 편집자로 공유하기 전까지 동기화가 실패합니다.",
  "af.accessConfirmBox": "그래도 저장: 첫 동기화 전에 공유하겠습니다",
  "af.nothing": "바뀐 것이 없습니다.",
  "af.fix": "고쳐야 할 항목이 있습니다. 항목 옆 안내를 보세요.",
  "af.tabs": "시트의 탭",
  "af.tabsHint": "고른 탭마다 스프레드시트에 탭이 하나씩 생기며, 동기화 때마다 씁니다.",
  "af.tabPerformanceHint": "캠페인, 광고그룹 또는 키워드와 기기별 노출수, 클릭수, 비용, 전환(네이버 AD, AD_CONVERSION 보고서). 탭 이름은 위의 탭 항목입니다.",
  "af.tabSearchTermsHint": "파워링크 광고가 노출된 검색어를 광고그룹과 일치 유형별로 보여 줍니다(네이버 EXPKEYWORD 보고서: 검색 매체만 포함하므로 합계가 성과 탭과 다릅니다).",
  "af.tabShoppingTermsHint": "쇼핑검색 광고가 노출된 검색어와 그 전환을 보여 줍니다(네이버 SHOPPINGKEYWORD_DETAIL 보고서, 180일; 전환은 최근 45일만).",
  "af.tabTitle": "탭 이름",
  "tab.performance": "성과",
  "tab.search_terms": "검색어",
  "tab.shopping_terms": "쇼핑 검색어",
  "sheet.tabs": "탭: {tabs}",
  "del.sheets": "스프레드시트의 {tabs} 탭과 그 데이터는 그대로 남습니다. 필요 없으면 Google 스프레드시트에서 지우세요.",
  "report.not_served": "제공 기간 밖",

  "del.title": "{name} 계정을 삭제할까요?",
  "del.syncs": "대기 중인 동기화는 취소되고, 이미 실행 중인 동기화는 끝까지 진행됩니다.",
  "del.secret": "비밀키는 데이터베이스에서 지워지며, 삭제 사실은 변경 기록에 남습니다.",
  "del.sheet": "스프레드시트의 “{tab}” 탭과 그 데이터는 그대로 남습니다. 필요 없으면 Google 스프레드시트에서 지우세요.",
  "del.files": "고객 {customer}에 대해 내려받은 보고서는 저장된 채로 남습니다(같은 고객 ID의 다른 계정이 다시 씁니다).",
  "del.confirm": "계정 삭제",
  "del.keep": "유지",
  "del.done": "{name} 계정을 삭제했습니다.",

  "msg.queued": "{name}의 동기화 {id}를 대기열에 넣었습니다({from} – {to}).",
  "msg.already": "{name}의 동기화 {id}는 이미 {status} 상태입니다.",
  "msg.canceled": "동기화 {id}를 취소했습니다.",
  "msg.cancelRequested": "동기화 {id}: 취소를 요청했습니다. 다음 단계에서 멈춥니다.",
  "msg.retried": "동기화 {id}를 {new}로 재시도합니다.",
  "msg.unreachable": "서비스에 연결할 수 없습니다({e}).",
  "msg.retrying": " 다시 시도하는 중…",
  "ago.now": "방금",
  "ago.min": "{n}분 전",
  "ago.h": "{n}시간 전",
  "ago.days": "{n}일 전",
  "in.min": "{n}분 후",
  "in.h": "{n}시간 후",
  "in.now": "곧",
  // 알림 (notify.js).
  "nav.notifications": "알림",
  "notify.title": "알림",
  "notify.hint": "동기화가 최종 실패하거나 데이터가 최신이 아닐 때, 그리고 복구되었을 때 Slack, Google Chat 또는 웹훅으로 알립니다. 웹훅 주소는 비밀 정보라서 호스트만 표시합니다.",
  "notify.add": "웹훅 추가",
  "notify.empty": "아직 웹훅이 없습니다.",
  "notify.col.name": "이름",
  "notify.col.kind": "종류",
  "notify.col.host": "호스트",
  "notify.col.events": "이벤트",
  "notify.col.enabled": "사용",
  "notify.on": "사용",
  "notify.off": "사용 안 함",
  "notify.test": "테스트 메시지 보내기",
  "notify.testing": "보내는 중…",
  "notify.testOK": "전달되었습니다.",
  "notify.testFailed": "전달되지 않았습니다: {why}",
  "notify.edit": "수정",
  "notify.delete": "삭제",
  "notify.confirmDelete": "웹훅 “{name}”을(를) 삭제할까요? 아직 보내지 않은 메시지는 버려집니다.",
  "notify.addTitle": "웹훅 추가",
  "notify.editTitle": "웹훅 “{name}” 수정",
  "notify.name": "이름",
  "notify.kind": "종류",
  "notify.kind.slack": "Slack",
  "notify.kind.google_chat": "Google Chat",
  "notify.kind.generic": "일반 JSON",
  "notify.url": "웹훅 주소",
  "notify.urlHint": "Slack 또는 Google Chat의 수신 웹훅 주소입니다. 암호화해 저장하며 다시 표시하지 않습니다.",
  "notify.urlKept": "새 주소를 입력하지 않으면 그대로 유지합니다 ({host}).",
  "notify.events": "이벤트",
  "notify.event.sync_failed": "동기화 최종 실패",
  "notify.event.credentials_refused": "네이버가 인증 정보를 거부함",
  "notify.event.sheet_access_lost": "시트 접근 권한 없음",
  "notify.event.stale": "정한 시각까지 데이터 미갱신",
  "notify.event.naver_jobs_wait": "네이버 보고서 작업 자리 장시간 대기",
  "notify.event.recovered": "복구",
  "notify.event.test": "테스트 메시지",
  "notify.enabled": "사용",
  "notify.saved": "웹훅을 저장했습니다.",
  "audit.webhook.create": "웹훅 추가",
  "audit.webhook.update": "웹훅 변경",
  "audit.webhook.delete": "웹훅 삭제",
  "audit.webhook.test": "테스트 메시지 전송",
  "audit.notify.delivered": "알림 전달",
  "audit.notify.failed": "알림 실패",
};

const dictionaries = { en, ko };

/** The languages the console speaks. */
export const languages = ["en", "ko"];

function initial() {
  try {
    const saved = localStorage.getItem(storeKey);
    if (languages.includes(saved)) return saved;
  } catch { /* storage disabled */ }
  const prefs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"];
  for (const p of prefs) {
    const base = String(p).toLowerCase().split("-")[0];
    if (base === "ko") return "ko";
    if (base === "en") return "en";
  }
  return "en";
}

let current = initial();

/** lang is the console's current language, "en" or "ko". */
export function lang() {
  return current;
}

/** locale is the BCP 47 locale for numbers and dates in the current language. */
export function locale() {
  return current === "ko" ? "ko-KR" : "en";
}

/** setLang switches the language (kept for the next visit) and translates the page. */
export function setLang(l) {
  if (!languages.includes(l)) return;
  current = l;
  try { localStorage.setItem(storeKey, l); } catch { /* the choice lives until reload */ }
  translatePage();
}

/** t returns the text of key in the current language, with {params} filled in. */
export function t(key, params) {
  const d = dictionaries[current];
  let s = d[key] ?? en[key] ?? key;
  if (params) {
    s = s.replace(/\{(\w+)\}/g, (m, p) => (params[p] != null ? String(params[p]) : m));
  }
  return s;
}

/**
 * message says a sentence the server sent by its code (service.MessageCode) in the current
 * language, with params filled in: text, the server's English, in English (exactly as sent) and
 * for a code the catalogue does not know.
 */
export function message(code, params, text) {
  if (current === "en" && text) return text;
  const s = code ? (messages[current] || {})[code] ?? messages.en[code] : undefined;
  if (s == null) return text || "";
  const p = { ...(params || {}) };
  if (p.fields) p.fields = String(p.fields).split(/,\s*/).map(fieldName).join(", ");
  if (code === "problem.webhook_failed" || code.startsWith("audit.webhook_") || code.startsWith("audit.notify_")) {
    // A webhook's kind and events by their names, its failure by its code (webhook_error.*).
    const named = (prefix, v) => (has(prefix + v) ? t(prefix + v) : v);
    if (p.kind) p.kind = named("notify.kind.", p.kind);
    if (p.event) p.event = named("notify.event.", p.event);
    if (p.events) p.events = list(p.events).map((e) => named("notify.event.", e)).join(", ");
    if (p.error_code) p.error = message(p.error_code, params, p.error);
  }
  if (code.startsWith("field.tab")) {
    // The kinds of tab by their names (search_terms: "Search terms").
    for (const k of ["kind", "other"]) if (p[k]) p[k] = tabName(p[k]);
    for (const k of ["kinds", "tabs"]) if (p[k]) p[k] = list(p[k]).map(tabName).join(", ");
  }
  if (code === "audit.account_update") {
    // Each change with its values ("field: before → after"); an entry without them, its fields.
    p.changes = p.changes ? list(p.changes).map((c) => change(c, params)).join("; ") : p.fields || "";
    p.warnings = p.warnings ? changeText("warnings", { warnings: list(p.warnings).map((w) => message(w, params, "")).join("; ") }) : "";
  }
  return fill(s, p);
}

/** fill puts params into the {names} of s (a name without a value stays as it is). */
function fill(s, p) {
  return s.replace(/\{(\w+)\}/g, (m, k) => (p[k] != null ? String(p[k]) : m));
}

/** list splits a parameter that lists codes or fields ("name, sheet_tab"). */
function list(v) {
  return String(v).split(/,\s*/).filter(Boolean);
}

/** changeText is a part of an account update's detail in the current language (messages.changes). */
function changeText(key, params) {
  const s = (messages.changes[current] || {})[key] ?? messages.changes.en[key];
  return s == null ? "" : fill(s, params || {});
}

/**
 * change says one change of an account update: the field with its value before and after
 * (<c>_from, <c>_to in the entry's params), or that a credential changed (never its value).
 */
function change(c, params) {
  const from = params[c + "_from"];
  const to = params[c + "_to"];
  if (from == null || to == null) return changeText(c) || fieldName(c);
  return changeText("change", { field: fieldName(c), from: changeValue(c, from), to: changeValue(c, to) });
}

/** changeValue says a value of an account update as data (a name, an id) or from its code. */
function changeValue(c, v) {
  switch (c) {
    case "name":
    case "sheet_tab":
      return changeText("quoted", { value: v });
    case "refresh":
      return v === "off" || v === "schedule" ? changeText("refresh." + v) : changeText("refresh.at", { time: v });
    case "level":
    case "sheet_language":
      return changeText(c + "." + v) || v;
    case "history_days":
      return v === "0" ? changeText("history_days.served") : changeText("history_days.days", { days: v });
    case "tabs":
      return list(v).map(tabName).join(", ");
    case "tab_titles":
      // Kind "title" pairs: each kind by its name.
      return v.replace(/(^|, )([a-z_]+) "/g, (m, sep, k) => `${sep}${tabName(k)} "`);
  }
  return v;
}

/** tabName is the name of a kind of tab (search_terms: "Search terms"), or the kind itself. */
export function tabName(kind) {
  return has("tab." + kind) ? t("tab." + kind) : kind;
}

/** fieldName is the name of an API field (customer_id, secret_key, ...) in the current language. */
export function fieldName(f) {
  return (messages.fields[current] || {})[f] ?? f;
}

/** has reports whether key has a text (for values such as statuses that may be new). */
export function has(key) {
  return key in en;
}

/** translatePage sets the page's static texts and attributes in the current language. */
export function translatePage(root = document) {
  document.documentElement.lang = current;
  for (const e of root.querySelectorAll("[data-i18n]")) e.textContent = t(e.dataset.i18n);
  for (const [attr, data] of [["aria-label", "i18nAriaLabel"], ["placeholder", "i18nPlaceholder"], ["title", "i18nTitle"]]) {
    for (const e of root.querySelectorAll(`[data-${attr === "aria-label" ? "i18n-aria-label" : "i18n-" + attr}]`)) {
      e.setAttribute(attr, t(e.dataset[data]));
    }
  }
  const sw = document.getElementById("lang-switch");
  if (sw) {
    sw.textContent = t("lang.switch");
    sw.lang = current === "ko" ? "en" : "ko";
    sw.setAttribute("aria-label", t("lang.switchLabel"));
  }
}
