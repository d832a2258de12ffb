package sheetstest

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// handleToken is a minimal OAuth 2.0 token endpoint for the JWT-bearer grant
// a service-account key uses (RFC 7523). The assertion's signature is not
// checked (the stand-in does not know the public key); its "iss" claim, the
// service account's e-mail, becomes the identity behind the issued token.
func (s *Server) handleToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, "invalid_request", "malformed form")
		return
	}
	if g := r.PostForm.Get("grant_type"); g != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		writeOAuthError(w, "unsupported_grant_type", fmt.Sprintf("grant_type %q", g))
		return
	}
	parts := strings.Split(r.PostForm.Get("assertion"), ".")
	if len(parts) != 3 {
		writeOAuthError(w, "invalid_grant", "Invalid JWT: malformed")
		return
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		writeOAuthError(w, "invalid_grant", "Invalid JWT: payload")
		return
	}
	var claims struct {
		Iss   string `json:"iss"`
		Scope string `json:"scope"`
	}
	if err := json.Unmarshal(raw, &claims); err != nil || claims.Iss == "" {
		writeOAuthError(w, "invalid_grant", "Invalid JWT: no issuer")
		return
	}
	s.mu.Lock()
	s.tokenSerial++
	tok := fmt.Sprintf("sheetstest-token-%d", s.tokenSerial)
	s.tokens[tok] = strings.ToLower(claims.Iss)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{
		"access_token": tok, "token_type": "Bearer", "expires_in": 3600,
	})
}

func writeOAuthError(w http.ResponseWriter, code, desc string) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"error": code, "error_description": desc})
}
