package console_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/naversync/naversync/service"
)

// catalogue reads the console's message catalogue (static/messages.js: a JSON body).
func catalogue(t *testing.T) map[string]map[string]string {
	t.Helper()
	b, err := os.ReadFile("static/messages.js")
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	const start = "export const messages = "
	i := strings.Index(src, start)
	if i < 0 {
		t.Fatalf("static/messages.js has no %q", start)
	}
	body := strings.TrimSuffix(strings.TrimSpace(src[i+len(start):]), ";")
	var cat struct {
		En map[string]string `json:"en"`
		Ko map[string]string `json:"ko"`
	}
	if err := json.Unmarshal([]byte(body), &cat); err != nil {
		t.Fatalf("static/messages.js is not JSON after %q: %v", start, err)
	}
	return map[string]map[string]string{"en": cat.En, "ko": cat.Ko}
}

var (
	hangul = regexp.MustCompile(`\p{Hangul}`)
	param  = regexp.MustCompile(`\{(\w+)\}`)
)

// TestMessageCatalogue fails when a code the server can send (service.MessageCodes) has no
// English or no Korean text in the console's catalogue, when a Korean text is not Korean or an
// English one is, and when a text names a parameter the English one does not.
func TestMessageCatalogue(t *testing.T) {
	cat := catalogue(t)
	known := map[string]bool{}
	for _, c := range service.MessageCodes() {
		code := string(c)
		known[code] = true
		en, ko := cat["en"][code], cat["ko"][code]
		if strings.TrimSpace(en) == "" {
			t.Errorf("%s: no English text", code)
		}
		if strings.TrimSpace(ko) == "" {
			t.Errorf("%s: no Korean text", code)
			continue
		}
		if !hangul.MatchString(ko) {
			t.Errorf("%s: the Korean text %q has no Hangul", code, ko)
		}
		if hangul.MatchString(en) {
			t.Errorf("%s: the English text %q has Hangul", code, en)
		}
		enParams := map[string]bool{}
		for _, m := range param.FindAllStringSubmatch(en, -1) {
			enParams[m[1]] = true
		}
		for _, m := range param.FindAllStringSubmatch(ko, -1) {
			if !enParams[m[1]] {
				t.Errorf("%s: the Korean text names {%s}, which the English one does not", code, m[1])
			}
		}
	}
	for lang, texts := range cat {
		for code := range texts {
			if !known[code] {
				t.Errorf("%s text for %s, a code the server does not send", lang, code)
			}
		}
	}
}
