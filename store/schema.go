package store

import (
	"strings"
	"unicode"
)

// foldKey is the key under which Google (and strings.EqualFold) compare tab names: every
// character replaced by the smallest character of its simple case-folding orbit, so that
// foldKey(a) == foldKey(b) exactly when strings.EqualFold(a, b).
func foldKey(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		least := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			least = min(least, f)
		}
		b.WriteRune(least)
	}
	return b.String()
}
