package naver

import (
	"fmt"
	"log/slog"
)

// Credentials identify the account whose data is touched (CustomerID, sent
// as X-Customer) and the API license used to sign (APIKey, SecretKey).
// Its String, GoString and LogValue never show the secret key.
type Credentials struct {
	CustomerID string
	APIKey     string
	SecretKey  string
}

// String describes the credentials without the secret key and with the API
// key shortened.
func (c Credentials) String() string {
	return fmt.Sprintf("naver.Credentials{CustomerID:%q, APIKey:%q, SecretKey:[redacted]}", c.CustomerID, shortKey(c.APIKey))
}

// GoString is like String so that %#v does not print the secret.
func (c Credentials) GoString() string { return c.String() }

// LogValue logs only the customer id and a shortened API key.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("customer_id", c.CustomerID), slog.String("api_key", shortKey(c.APIKey)))
}

func shortKey(k string) string {
	if len(k) <= 8 {
		return k
	}
	return k[:8] + "…"
}
