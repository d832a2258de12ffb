package google

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"google.golang.org/api/googleapi"
	"google.golang.org/api/sheets/v4"
)

// A batchUpdate body is built as bytes: `{"requests":[` + requests joined
// by "," + `]}`. Small structural requests are marshalled from sheets types
// (marshalRequest); table rows are appended by hand (stream.go).
const (
	bodyHead = `{"requests":[`
	bodyTail = `]}`
)

// marshalRequest encodes one small request with the sheets types.
func marshalRequest(r *sheets.Request) ([]byte, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	return b, nil
}

// batchUpdate posts a complete spreadsheets.batchUpdate body through the
// typed client's authenticated HTTP client, to the URL the typed client
// uses. A non-2xx answer is a *googleapi.Error (googleapi.CheckResponse), as
// from the typed client, so retries and classification are unchanged.
func (w *Writer) batchUpdate(ctx context.Context, spreadsheetID string, body []byte) error {
	u, err := url.Parse(googleapi.ResolveRelative(w.base, "v4/spreadsheets/{spreadsheetId}:batchUpdate"))
	if err != nil {
		return fmt.Errorf("batchUpdate url: %w", err)
	}
	googleapi.Expand(u, map[string]string{"spreadsheetId": spreadsheetID})
	u.RawQuery = url.Values{"alt": {"json"}, "prettyPrint": {"false"}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("batchUpdate request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", googleapi.UserAgent)
	res, err := w.hc.Do(req)
	if err != nil {
		return err
	}
	defer googleapi.CloseBody(res)
	if err := googleapi.CheckResponse(res); err != nil {
		return err
	}
	// The replies (empty objects for the requests used here) are not needed;
	// reading them lets the connection be reused.
	if _, err := io.Copy(io.Discard, io.LimitReader(res.Body, 1<<20)); err != nil {
		return fmt.Errorf("batchUpdate response: %w", err)
	}
	return nil
}
