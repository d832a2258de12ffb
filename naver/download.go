package naver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// downloadSignPath is the path every download is signed over, whatever the
// query of the download URL.
const downloadSignPath = "/report-download"

// Download streams the file at downloadURL (a job's downloadUrl, used
// exactly as given) to w and returns the bytes written. It asks for a zip
// and unpacks it (see zip.go), so w gets the TSV either way. A URL whose
// scheme or host differs from the base URL's is refused with ErrForeignHost.
// A failure while reading the body matches ErrTransport, a damaged archive
// ErrDamaged; w may then hold a partial file. Download makes one attempt:
// retrying needs a rewindable destination (see FetchStatReport and Sink).
func (c *Client) Download(ctx context.Context, cred Credentials, downloadURL string, w io.Writer) (int64, error) {
	return c.download(ctx, cred, downloadURL, w, 0, nil)
}

// download is Download with a row check (columns, 0 for none) and a call counter.
func (c *Client) download(ctx context.Context, cred Credentials, downloadURL string, w io.Writer, columns int, counter *int) (int64, error) {
	u, err := url.Parse(downloadURL)
	if err != nil {
		return 0, fmt.Errorf("naver: download: bad URL: %w", ErrForeignHost)
	}
	if !strings.EqualFold(u.Scheme, c.base.Scheme) || !strings.EqualFold(u.Host, c.base.Host) {
		return 0, fmt.Errorf("naver: download from %s://%s (base %s://%s): %w", u.Scheme, u.Host, c.base.Scheme, c.base.Host, ErrForeignHost)
	}
	resp, err := c.send(ctx, cred, http.MethodGet, downloadURL, downloadSignPath, nil, counter, "X-Accept-Encoding", acceptZip)
	if err != nil {
		return 0, fmt.Errorf("download: %w", err)
	}
	defer resp.Body.Close()
	n, wire, err := c.receive(resp.Body, w, columns)
	if err != nil {
		var re *readError
		switch {
		case ctx.Err() != nil:
			return n, fmt.Errorf("naver: download: %w", ctx.Err())
		case errors.As(err, &re):
			return n, fmt.Errorf("naver: download after %d bytes: %w: %w", wire, ErrTransport, re.err)
		case errors.Is(err, ErrDamaged):
			return n, fmt.Errorf("naver: download of %d bytes: %w", wire, err)
		default:
			return n, fmt.Errorf("naver: download: write: %w", err)
		}
	}
	return n, nil
}

// bodyReader marks read errors so that Download can tell a broken
// connection (transient) from a failing writer (not ours to retry).
type bodyReader struct{ r io.Reader }

type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		return n, &readError{err: err}
	}
	return n, err
}

// masterColumns is the fewest columns of a master file row that its parser
// needs (ParseCampaigns, ParseAdgroups, ParseKeywords); other items are not
// checked.
var masterColumns = map[string]int{"Campaign": 3, "Adgroup": 4, "Keyword": 4}
