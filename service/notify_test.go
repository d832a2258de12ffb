package service_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/naversync/naversync/google/sheetstest"
	"github.com/naversync/naversync/naver/navertest"
	"github.com/naversync/naversync/service"
	"github.com/naversync/naversync/service/servicetest"
	"github.com/naversync/naversync/store"
	"github.com/naversync/naversync/store/storetest"
)

// receiver is a local webhook receiver: it records the bodies it accepted, answers 503 while
// down, and holds requests while a gate is set.
type receiver struct {
	srv     *httptest.Server
	token   string // the secret part of the URL's path, which must never show anywhere
	down    atomic.Bool
	hits    atomic.Int64
	arrived chan struct{} // a request came in (accepted or not)

	mu   sync.Mutex
	got  []map[string]any
	keys []string              // the Idempotency-Key of every request, accepted or not
	gate func(r *http.Request) // called before answering, when set
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	r := &receiver{token: "T0KEN" + hex.EncodeToString(b), arrived: make(chan struct{}, 1000)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.hits.Add(1)
		r.mu.Lock()
		r.keys = append(r.keys, req.Header.Get("Idempotency-Key"))
		r.mu.Unlock()
		defer func() {
			select {
			case r.arrived <- struct{}{}:
			default:
			}
		}()
		// The body is read first: only then does the server notice a client that went away
		// (and cancel the request's context, which a gate may wait on).
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		gate := r.gate
		r.mu.Unlock()
		if gate != nil {
			gate(req)
			if req.Context().Err() != nil {
				return // the sender gave up on this request: it was not delivered
			}
		}
		if req.Method != http.MethodPost || req.URL.Path != "/hook/"+r.token || !strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
			http.Error(w, "bad request", http.StatusBadRequest)
			return
		}
		if r.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			http.Error(w, "not json", http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.got = append(r.got, m)
		r.mu.Unlock()
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) URL() string { return r.srv.URL + "/hook/" + r.token }

func (r *receiver) setGate(f func(*http.Request)) { r.mu.Lock(); r.gate = f; r.mu.Unlock() }

func (r *receiver) accepted() []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]map[string]any(nil), r.got...)
}

// wait returns the accepted messages once there are at least n (fails after 30 s).
func (r *receiver) wait(t *testing.T, n int) []map[string]any {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for {
		if got := r.accepted(); len(got) >= n {
			return got
		}
		select {
		case <-r.arrived:
		case <-deadline:
			t.Fatalf("the receiver accepted %d messages, want %d: %v", len(r.accepted()), n, r.accepted())
		}
	}
}

// quiet checks that, over many notifier passes, the receiver accepts no message beyond n.
func (r *receiver) quiet(t *testing.T, n int) {
	t.Helper()
	time.Sleep(40 * fastNotify().Interval) // many passes of every notifier: nothing more may come
	if got := r.accepted(); len(got) != n {
		t.Fatalf("the receiver accepted %d messages, want %d: %v", len(got), n, got)
	}
}

// fastNotify is a notifier tuned for tests: passes every 25 ms, retries after 25 ms.
func fastNotify() service.NotifyConfig {
	return service.NotifyConfig{Interval: 25 * time.Millisecond, RetryBase: 25 * time.Millisecond, Timeout: 2 * time.Second,
		BaseURL: "https://console.example/"}
}

func createHook(t *testing.T, e *servicetest.Engine, name string, kind service.WebhookKind, url string, events ...service.NotifyEvent) service.Webhook {
	t.Helper()
	h, err := e.Service.CreateWebhook(t.Context(), service.WebhookInput{Name: &name, Kind: &kind, URL: &url, Events: &events})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func syncTo(t *testing.T, e *servicetest.Engine, accountID string, want string) service.Sync {
	t.Helper()
	sy := enqueueEngine(t, e, accountID, service.SyncRequest{Days: 2})
	got := servicetest.WaitTerminal(t, e.Service, sy.ID)[sy.ID]
	if got.Status != want {
		t.Fatalf("sync %s ended %s (%+v), want %s", sy.ID, got.Status, got.Error, want)
	}
	return got
}

func auditCount(t *testing.T, e *servicetest.Engine, action string) int {
	t.Helper()
	entries, _, err := e.Service.ListAudit(t.Context(), service.AuditFilter{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, a := range entries {
		if a.Action == action {
			n++
		}
	}
	return n
}

// A sync that fails for good is told once per incident (the same failure again is not told
// again), in the generic body and in Slack's, with a link to the sync's page; the next success
// sends the "recovered" follow-up to the targets that heard of it; each delivery is in the audit
// log; and the URLs never show in the logs, the API's values or the audit log.
func TestNotifyFailedForGoodOnceThenRecovered(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := servicetest.NewWorld(t, db, servicetest.WorldOptions{})
			w.Customer("7001", 1, 1, 1)
			logs := &syncBuffer{}
			e := w.Engine(servicetest.EngineOptions{Notify: fastNotify(), Log: logs, LogLevel: slog.LevelDebug})
			rcv, slack := newReceiver(t), newReceiver(t)
			createHook(t, e, "ops", service.WebhookGeneric, rcv.URL(), service.NotifyEvents()...)
			createHook(t, e, "team", service.WebhookSlack, slack.URL(), service.EventSheetAccessLost)
			createHook(t, e, "only stale", service.WebhookGeneric, rcv.URL(), service.EventStale)
			a := w.Account(e, "Acme", "7001", "sheet-acme", service.LevelCampaign)

			w.Sheets.Unshare("sheet-acme", sheetstest.DefaultCaller)
			s1 := syncTo(t, e, a.ID, service.StatusFailed)
			m := rcv.wait(t, 1)[0]
			if m["event"] != string(service.EventSheetAccessLost) || m["sync"] != s1.ID || m["account"] != a.ID ||
				m["url"] != "https://console.example/ui/#sync/"+s1.ID || !strings.Contains(m["text"].(string), "Acme") {
				t.Errorf("generic body %v", m)
			}
			if _, err := time.Parse(time.RFC3339, m["occurred_at"].(string)); err != nil {
				t.Errorf("occurred_at: %v", err)
			}
			sm := slack.wait(t, 1)[0]
			if len(sm) != 1 || !strings.Contains(sm["text"].(string), "https://console.example/ui/#sync/"+s1.ID) {
				t.Errorf("slack body %v, want only a text with the link", sm)
			}
			syncTo(t, e, a.ID, service.StatusFailed) // the same incident: told once
			rcv.quiet(t, 1)

			w.Sheets.Share("sheet-acme", sheetstest.DefaultCaller)
			s3 := syncTo(t, e, a.ID, service.StatusSucceeded)
			m = rcv.wait(t, 2)[1]
			if m["event"] != string(service.EventRecovered) || m["sync"] != s3.ID {
				t.Errorf("follow-up %v", m)
			}
			if sm := slack.wait(t, 2)[1]; !strings.Contains(sm["text"].(string), "recovered") {
				t.Errorf("slack follow-up %v", sm)
			}
			rcv.quiet(t, 2) // "only stale" heard of nothing, so it gets no follow-up
			if n := auditCount(t, e, service.AuditNotifyDelivered); n != 4 {
				t.Errorf("%d deliveries in the audit log, want 4", n)
			}

			hooks, err := e.Service.ListWebhooks(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			audit, _, err := e.Service.ListAudit(t.Context(), service.AuditFilter{Limit: 200})
			if err != nil {
				t.Fatal(err)
			}
			shown, _ := json.Marshal([]any{hooks, audit})
			for _, r := range []*receiver{rcv, slack} {
				for what, text := range map[string]string{"logs": logs.String(), "API values and audit log": string(shown)} {
					if strings.Contains(text, r.token) {
						t.Errorf("a webhook URL shows in the %s", what)
					}
				}
				if !strings.Contains(string(shown), strings.TrimPrefix(r.srv.URL, "http://")) {
					t.Errorf("the API shows no host of %s", r.srv.URL)
				}
			}
		})
	}
}

// An account whose refresh is enabled and that had no successful sync today is told stale at
// 09:00 in Seoul on the world's clock (not before, once that day, in Korean here), and recovers
// with its next success.
func TestNotifyStaleBy0900(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			kst := time.FixedZone("KST", 9*3600)
			w := servicetest.NewWorld(t, db, servicetest.WorldOptions{Start: time.Date(2026, 7, 14, 8, 0, 0, 0, kst)})
			w.Customer("7002", 1, 1, 1)
			cfg := fastNotify()
			cfg.Language = "ko"
			e := w.Engine(servicetest.EngineOptions{Notify: cfg})
			rcv := newReceiver(t)
			createHook(t, e, "ops", service.WebhookGeneric, rcv.URL(), service.EventStale)
			a := w.Account(e, "Stale Co", "7002", "sheet-stale", service.LevelCampaign)
			syncTo(t, e, a.ID, service.StatusSucceeded)    // 14 July: fresh
			w.Clock.Advance(24*time.Hour + 50*time.Minute) // 15 July, 08:50: not yet judged
			rcv.quiet(t, 0)
			w.Clock.Advance(11 * time.Minute) // 09:01
			m := rcv.wait(t, 1)[0]
			if m["event"] != string(service.EventStale) || m["account"] != a.ID || !strings.Contains(m["text"].(string), "09:00") ||
				!strings.Contains(m["text"].(string), "최신이 아닙니다") {
				t.Errorf("stale message %v", m)
			}
			w.Clock.Advance(3 * time.Hour) // still stale the same day: no second message
			rcv.quiet(t, 1)
			syncTo(t, e, a.ID, service.StatusSucceeded)
			if m := rcv.wait(t, 2)[1]; m["event"] != string(service.EventRecovered) || !strings.Contains(m["text"].(string), "복구") {
				t.Errorf("follow-up %v", m)
			}
		})
	}
}

// A receiver that is down for a while (503) gets the message once it is back, exactly once,
// each failed attempt and the delivery in the audit log.
func TestNotifyReceiverDownDeliveredLaterOnce(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := servicetest.NewWorld(t, db, servicetest.WorldOptions{})
			w.Customer("7003", 1, 1, 1)
			e := w.Engine(servicetest.EngineOptions{Notify: fastNotify()})
			rcv := newReceiver(t)
			rcv.down.Store(true)
			createHook(t, e, "ops", service.WebhookGoogleChat, rcv.URL(), service.EventSheetAccessLost)
			a := w.Account(e, "Down Co", "7003", "sheet-down", service.LevelCampaign)
			w.Sheets.Unshare("sheet-down", sheetstest.DefaultCaller)
			syncTo(t, e, a.ID, service.StatusFailed)
			for rcv.hits.Load() < 3 {
				select {
				case <-rcv.arrived:
				case <-time.After(30 * time.Second):
					t.Fatalf("%d attempts while the receiver was down", rcv.hits.Load())
				}
			}
			rcv.down.Store(false)
			m := rcv.wait(t, 1)[0]
			if len(m) != 1 || !strings.Contains(m["text"].(string), "Down Co") {
				t.Errorf("google chat body %v", m)
			}
			rcv.quiet(t, 1)
			// Every attempt of the message carries one key, for a receiver to drop a repeat.
			rcv.mu.Lock()
			keys := slices.Clone(rcv.keys)
			rcv.mu.Unlock()
			if len(keys) < 4 || keys[0] == "" || slices.ContainsFunc(keys, func(k string) bool { return k != keys[0] }) {
				t.Errorf("Idempotency-Key of the attempts: %q, want one key on every attempt", keys)
			}
			if f, d := auditCount(t, e, service.AuditNotifyFailed), auditCount(t, e, service.AuditNotifyDelivered); f < 3 || d != 1 {
				t.Errorf("audit: %d failures, %d deliveries; want at least 3 and 1", f, d)
			}
		})
	}
}

// Two replicas notice the same failure and run the same outbox: the receiver is sent one
// message, once.
func TestNotifyTwoReplicasOneDelivery(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := servicetest.NewWorld(t, db, servicetest.WorldOptions{})
			w.Customer("7004", 1, 1, 1)
			e1 := w.Engine(servicetest.EngineOptions{Replica: "r1", Notify: fastNotify()})
			w.Engine(servicetest.EngineOptions{Replica: "r2", Notify: fastNotify()})
			rcv := newReceiver(t)
			createHook(t, e1, "ops", service.WebhookGeneric, rcv.URL(), service.NotifyEvents()...)
			a := w.Account(e1, "Twice Co", "7004", "sheet-twice", service.LevelCampaign)
			w.Sheets.Unshare("sheet-twice", sheetstest.DefaultCaller)
			syncTo(t, e1, a.ID, service.StatusFailed)
			rcv.wait(t, 1)
			rcv.quiet(t, 1)
			if n := rcv.hits.Load(); n != 1 {
				t.Errorf("the receiver was sent %d requests, want 1", n)
			}
		})
	}
}

// A replica stopped while a delivery is in flight (its request cut, its outcome never recorded)
// loses nothing: once its claim lapses, the next replica sends it, and it is delivered once.
func TestNotifyRestartMidDelivery(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := servicetest.NewWorld(t, db, servicetest.WorldOptions{})
			w.Customer("7005", 1, 1, 1)
			cfg := fastNotify()
			cfg.Timeout = time.Second // a claim lasts 3 s
			e1 := w.Engine(servicetest.EngineOptions{Replica: "r1", Notify: cfg})
			rcv := newReceiver(t)
			inFlight := make(chan struct{})
			var once sync.Once
			rcv.setGate(func(r *http.Request) {
				first := false
				once.Do(func() { first = true })
				if first {
					close(inFlight)
					<-r.Context().Done() // held until the sender gives up: its replica stops
				}
			})
			createHook(t, e1, "ops", service.WebhookGeneric, rcv.URL(), service.NotifyEvents()...)
			a := w.Account(e1, "Restart Co", "7005", "sheet-restart", service.LevelCampaign)
			w.Sheets.Unshare("sheet-restart", sheetstest.DefaultCaller)
			syncTo(t, e1, a.ID, service.StatusFailed)
			select {
			case <-inFlight:
			case <-time.After(30 * time.Second):
				t.Fatal("no delivery started")
			}
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			defer cancel()
			if err := e1.Service.Stop(ctx); err != nil {
				t.Fatal(err)
			}
			w.Engine(servicetest.EngineOptions{Replica: "r2", Notify: cfg})
			m := rcv.wait(t, 1)[0]
			if m["event"] != string(service.EventSheetAccessLost) {
				t.Errorf("message %v", m)
			}
			rcv.quiet(t, 1)
			ds, err := e1.Store.ListDeliveries(t.Context(), "", 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(ds) != 1 || ds[0].State != store.DeliveryDelivered || ds[0].Attempts != 2 || ds[0].ClaimedBy != "r2/notify" {
				t.Errorf("deliveries %+v, want one delivered by r2 at its second attempt", ds)
			}
		})
	}
}

// "Send test message" reaches the receiver; a receiver that cannot be reached is a
// *WebhookSendError saying why, without the URL.
func TestNotifyTestMessage(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := servicetest.NewWorld(t, db, servicetest.WorldOptions{})
			e := w.Engine(servicetest.EngineOptions{Notify: fastNotify()})
			rcv := newReceiver(t)
			h := createHook(t, e, "ops", service.WebhookSlack, rcv.URL(), service.EventStale)
			res, err := e.Service.TestWebhook(t.Context(), h.ID)
			if err != nil || !res.Delivered {
				t.Fatalf("test message: %+v, %v", res, err)
			}
			if m := rcv.wait(t, 1)[0]; !strings.Contains(m["text"].(string), "test message") {
				t.Errorf("test body %v", m)
			}
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			closed := "http://" + l.Addr().String() + "/hook/" + rcv.token
			_ = l.Close()
			if _, err := e.Service.UpdateWebhook(t.Context(), h.ID, service.WebhookInput{URL: &closed}); err != nil {
				t.Fatal(err)
			}
			_, err = e.Service.TestWebhook(t.Context(), h.ID)
			var se *service.WebhookSendError
			if !errors.As(err, &se) || se.Reason != "connection refused" || se.Code != service.MsgWebhookErrUnreached || strings.Contains(err.Error(), rcv.token) ||
				strings.Contains(err.Error(), l.Addr().String()) {
				t.Fatalf("test message to a closed port: %v", err)
			}
			if n := auditCount(t, e, service.AuditWebhookTest); n != 2 {
				t.Errorf("%d test messages in the audit log, want 2", n)
			}
		})
	}
}

// A sync waiting for room among its customer's report jobs at Naver longer than RoomWaitAlert
// is told once (however long the wait goes on), and recovers when the sync succeeds.
func TestNotifyLongWaitForNaverJobs(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := servicetest.NewWorld(t, db, servicetest.WorldOptions{BuildDelay: 2 * time.Millisecond})
			w.Customer("7006", 1, 1, 1)
			w.Naver.AddForeignJobs("7006", 95)
			cfg := fastNotify()
			cfg.RoomWaitAlert = 300 * time.Millisecond
			e := w.Engine(servicetest.EngineOptions{Notify: cfg, NaverJobsRetry: 20 * time.Millisecond, NaverJobsMaxWait: time.Hour})
			rcv := newReceiver(t)
			createHook(t, e, "ops", service.WebhookGeneric, rcv.URL(), service.EventNaverJobsWait)
			a := w.Account(e, "Crowded Co", "7006", "sheet-crowded", service.LevelCampaign)
			sy := enqueueEngine(t, e, a.ID, service.SyncRequest{Days: 2})
			m := rcv.wait(t, 1)[0]
			if m["event"] != string(service.EventNaverJobsWait) || m["sync"] != sy.ID {
				t.Errorf("message %v", m)
			}
			rcv.quiet(t, 1)
			w.Naver.DeleteForeignJobs("7006", 60)
			if got := servicetest.WaitTerminal(t, e.Service, sy.ID)[sy.ID]; got.Status != service.StatusSucceeded {
				t.Fatalf("sync %s: %+v", got.Status, got.Error)
			}
			if m := rcv.wait(t, 2)[1]; m["event"] != string(service.EventRecovered) {
				t.Errorf("follow-up %v", m)
			}
		})
	}
}

// Naver refusing the account's credentials (a secret key revoked at Naver) is told as
// credentials_refused, with the text in Korean pointing at Naver's own menu, and not as
// sync_failed.
func TestNotifyCredentialsRefused(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := servicetest.NewWorld(t, db, servicetest.WorldOptions{})
			w.Customer("7007", 1, 1, 1)
			cfg := fastNotify()
			cfg.Language = "ko"
			e := w.Engine(servicetest.EngineOptions{Notify: cfg})
			rcv := newReceiver(t)
			createHook(t, e, "ops", service.WebhookGeneric, rcv.URL(), service.NotifyEvents()...)
			a := w.Account(e, "Revoked Co", "7007", "sheet-revoked", service.LevelCampaign)
			w.Naver.AddCustomer(navertest.Customer{ID: "7007", APIKey: "key-7007", SecretKey: "a-new-secret", Campaigns: 1, AdgroupsPerCampaign: 1, KeywordsPerAdgroup: 1})
			syncTo(t, e, a.ID, service.StatusFailed)
			m := rcv.wait(t, 1)[0]
			if m["event"] != string(service.EventCredentialsRefused) || !strings.Contains(m["text"].(string), "도구 > API 사용 관리") {
				t.Errorf("message %v", m)
			}
			rcv.quiet(t, 1)
		})
	}
}

// A key rotation re-encrypts the webhook URLs with the Naver secrets: after ReencryptSecrets
// under the new key (the old one still decrypting), an engine with the new key alone delivers
// a notification from the outbox to the receiver.
func TestNotifyAfterKeyRotation(t *testing.T) {
	for _, db := range storetest.Databases(t) {
		t.Run(db.Name, func(t *testing.T) {
			w := servicetest.NewWorld(t, db, servicetest.WorldOptions{})
			w.Customer("7101", 1, 1, 1)
			old := w.Engine(servicetest.EngineOptions{Notify: fastNotify(), NoStart: true})
			rcv := newReceiver(t)
			createHook(t, old, "ops", service.WebhookGeneric, rcv.URL(), service.EventSheetAccessLost)
			a := w.Account(old, "Acme", "7101", "sheet-acme", service.LevelCampaign)

			newKey := make([]byte, 32)
			if _, err := rand.Read(newKey); err != nil {
				t.Fatal(err)
			}
			rotating := w.Engine(servicetest.EngineOptions{Notify: fastNotify(), NoStart: true, SecretKey: newKey, OldSecretKeys: [][]byte{w.Secret}})
			res, err := rotating.Service.ReencryptSecrets(t.Context())
			if err != nil || res.Done != 2 || len(res.Undecryptable) != 0 || len(res.UndecryptableWebhooks) != 0 {
				t.Errorf("rotation: %+v, %v; want the secret key and the webhook URL re-encrypted", res, err)
			}

			e := w.Engine(servicetest.EngineOptions{Notify: fastNotify(), SecretKey: newKey})
			w.Sheets.Unshare("sheet-acme", sheetstest.DefaultCaller)
			s := syncTo(t, e, a.ID, service.StatusFailed)
			if m := rcv.wait(t, 1)[0]; m["event"] != string(service.EventSheetAccessLost) || m["sync"] != s.ID {
				t.Errorf("delivered %v", m)
			}
			// The audit entry is written just after the receiver's answer.
			for deadline := time.Now().Add(30 * time.Second); auditCount(t, e, service.AuditNotifyDelivered) != 1; time.Sleep(20 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("%d deliveries in the audit log, want 1", auditCount(t, e, service.AuditNotifyDelivered))
				}
			}
		})
	}
}
