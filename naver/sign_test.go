package naver_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/naversync/naversync/naver"
)

// The expected values were computed once, independently, with
//
//	printf '%s' "$TS.$METHOD.$PATH" | openssl dgst -sha256 -hmac "$KEY" -binary | base64
func TestSign(t *testing.T) {
	tests := []struct {
		key    string
		ts     int64
		method string
		path   string
		want   string
	}{
		{"secret-key", 1700000000000, "GET", "/stat-reports", "3pQPOK0dZwFTn1WrvbkEi/Ypyws20e2COUmJmaprGFM="},
		{"AQAAAABc0a1b2c3d4e5f6==", 1764154674123, "POST", "/stat-reports", "xIFjyTiLeo686Sp8NdtEzDeHiQWkaP/LJvdG6bIr368="},
		{"비밀키", 1764154674123, "GET", "/report-download", "m8vnpb7/EIJ9AFyxQBWpejR9K66doyi1AFNfH42PUTE="},
		{"x", 0, "DELETE", "/master-reports/0123456789abcdef0123456789abcdef", "1TbBrqcqSx/8UuU4VmAur7HqeLsnCR76LiTksPGrVZg="},
	}
	for _, tt := range tests {
		t.Run(tt.method+tt.path, func(t *testing.T) {
			if got := naver.Sign(tt.key, tt.ts, tt.method, tt.path); got != tt.want {
				t.Errorf("Sign = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestCredentialsHideSecret(t *testing.T) {
	c := naver.Credentials{CustomerID: "1", APIKey: "0100000000abcdef", SecretKey: "TOP-SECRET"}
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v %s", c, c, c, c), c.LogValue().String()} {
		if strings.Contains(s, "TOP-SECRET") {
			t.Errorf("secret printed: %s", s)
		}
	}
}
