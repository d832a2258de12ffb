package api_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/naversync/naversync/service"
)

// TestMessageCodesMatchSpec holds openapi.yaml's MessageCode enum and the service's codes
// together: the spec lists exactly the codes the service sends.
func TestMessageCodesMatchSpec(t *testing.T) {
	s := mustSpec(t)
	ref := s.doc.Components.Schemas["MessageCode"]
	if ref == nil || ref.Value == nil {
		t.Fatal("openapi.yaml has no MessageCode")
	}
	var spec []string
	for _, v := range ref.Value.Enum {
		c, ok := v.(string)
		if !ok {
			t.Fatalf("MessageCode enum holds %v (%T), not a string", v, v)
		}
		spec = append(spec, c)
	}
	var code []string
	for _, c := range service.MessageCodes() {
		code = append(code, string(c))
	}
	slices.Sort(spec)
	slices.Sort(code)
	if !slices.Equal(spec, code) {
		t.Fatalf("openapi.yaml's MessageCode enum %v\nthe service's codes %v", spec, code)
	}
}

// TestProblemsCarryCodes: a refusal names its detail and each field's reason by a code, with
// the values a client needs to say it in its own language, beside the English text (kept as it
// was): Naver refusing a secret key or an API key, missing fields, a tab another account
// writes, a range, a route that does not exist.
func TestProblemsCarryCodes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{noStart: true})
	a := e.account("6001") // tab naver_ads
	check := func(body map[string]any) *response { return e.c.do("POST", "/checks/credentials", body, nil) }

	p := check(map[string]any{"customer_id": "6001", "api_key": "key-6001", "secret_key": "wrong"}).want(http.StatusUnprocessableEntity).problem()
	if p.Code != service.MsgSecretMismatch || len(p.Errors) != 1 || p.Errors[0].Code != service.MsgSecretMismatch ||
		!strings.Contains(p.Detail, "Tools > API manager") {
		t.Errorf("a wrong secret key: %+v", p)
	}
	p = check(map[string]any{"customer_id": "6001", "api_key": "key-unknown", "secret_key": "secret-6001"}).want(http.StatusUnprocessableEntity).problem()
	if p.Code != service.MsgUnknownAPIKey || p.Errors[0].Field != "api_key" {
		t.Errorf("an unknown API key: %+v", p)
	}
	p = check(map[string]any{"customer_id": "x"}).want(http.StatusBadRequest).problem()
	if p.Code != service.MsgInvalidFields || p.Detail != "one or more fields are invalid" {
		t.Errorf("missing fields: %+v", p)
	}
	codes := map[string]service.FieldError{}
	for _, f := range p.Errors {
		codes[f.Field] = f
	}
	if f := codes["customer_id"]; f.Code != service.MsgFieldCustomerID || f.Reason != "Naver customer id: digits only" {
		t.Errorf("customer_id: %+v", f)
	}
	if f := codes["api_key"]; f.Code != service.MsgFieldTextRequired || f.Params["max"] != "500" || f.Reason != "required: the Naver API license key, 1 to 500 characters" {
		t.Errorf("api_key: %+v", f)
	}

	p = e.c.do("POST", "/accounts", map[string]any{"name": "n", "customer_id": "6001", "api_key": "key-6001", "secret_key": "secret-6001",
		"spreadsheet_id": a.SpreadsheetID, "sheet_tab": "NAVER_ADS"}, nil).want(http.StatusBadRequest).problem()
	if len(p.Errors) != 1 || p.Errors[0].Field != "sheet_tab" || p.Errors[0].Code != service.MsgFieldTabTaken {
		t.Errorf("a tab in use: %+v", p)
	}
	p = e.c.do("POST", "/syncs", map[string]any{"account_id": a.ID, "from": day(3), "to": day(5)}, nil).want(http.StatusBadRequest).problem()
	if len(p.Errors) != 1 || p.Errors[0].Code != service.MsgFieldToBeforeFrom || p.Errors[0].Params["from"] != day(3) || p.Errors[0].Params["to"] != day(5) {
		t.Errorf("to before from: %+v", p)
	}
	p = e.c.do("GET", "/no-such-route", nil, nil).want(http.StatusNotFound).problem()
	if p.Code != service.MsgNoRoute {
		t.Errorf("no such route: %+v", p)
	}
}
