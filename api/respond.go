package api

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"

	"github.com/go-chi/chi/v5"

	"github.com/naversync/naversync/service"
)

// idPattern is what account and sync ids look like (UUIDs). Anything else cannot exist, so it
// is answered 404 without asking the service.
var idPattern = regexp.MustCompile(`^[0-9a-fA-F-]{1,64}$`)

// pathID returns the {id} path parameter, or answers 404 and returns false.
func (h *handler) pathID(w http.ResponseWriter, r *http.Request) (string, bool) {
	id := chi.URLParam(r, "id")
	if !idPattern.MatchString(id) {
		writeProblem(w, r, kindNotFound, msgNotFound, nil)
		return "", false
	}
	return id, true
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// page is a list answer; NextCursor is absent on the last page.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty"`
}

// queryLimit parses ?limit: absent gives def, otherwise 1..200.
func queryLimit(r *http.Request, def int) (int, error) {
	v := r.URL.Query().Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 200 {
		return 0, invalid("limit", service.MsgFieldLimit, "an integer from 1 to 200")
	}
	return n, nil
}
