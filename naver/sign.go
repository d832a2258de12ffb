package naver

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
)

// Sign returns the X-Signature of a request:
// base64(HMAC-SHA256(secretKey, "{timestampMillis}.{method}.{path}")).
// The secret key's own bytes are the HMAC key (it is not base64-decoded) and
// path is the request path without its query string.
func Sign(secretKey string, timestampMillis int64, method, path string) string {
	mac := hmac.New(sha256.New, []byte(secretKey))
	var buf [20]byte
	mac.Write(strconv.AppendInt(buf[:0], timestampMillis, 10))
	mac.Write([]byte{'.'})
	mac.Write([]byte(method))
	mac.Write([]byte{'.'})
	mac.Write([]byte(path))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
