package service

import (
	"errors"
	"fmt"
	"strings"
)

// Errors a caller of the service must tell apart. The api package maps each to an HTTP status.
var (
	// ErrNotFound: the account or sync does not exist (or the account was deleted).
	ErrNotFound = errors.New("not found")
	// ErrConflict: the request is valid but not in the object's current state (cancel a finished sync, ...).
	ErrConflict = errors.New("conflict")
	// ErrKeyReused: an Idempotency-Key was used, within IdempotencyKeyTTL, for a different request.
	ErrKeyReused = errors.New("idempotency key reused for a different request")
	// ErrInvalidCredentials: Naver refused the account's API key or secret key.
	ErrInvalidCredentials = errors.New("naver refused the credentials")
	// ErrUnavailable: a dependency (database) is not reachable.
	ErrUnavailable = errors.New("unavailable")
	// ErrNaverUnavailable: Naver could not be reached, or failed, while checking credentials;
	// try again later. It matches ErrUnavailable too.
	ErrNaverUnavailable = fmt.Errorf("naver is not reachable: %w", ErrUnavailable)
)

// FieldError names one field of a request that failed validation and why: Reason in English,
// Code and Params for a client to say it in its own language.
type FieldError struct {
	Field  string        `json:"field"`
	Reason string        `json:"reason"`
	Code   MessageCode   `json:"code"`
	Params MessageParams `json:"params,omitempty"`
}

// FieldErr is the FieldError of field saying m.
func FieldErr(field string, m Message) FieldError {
	return FieldError{Field: field, Reason: m.Text, Code: m.Code, Params: m.Params}
}

// ValidationError is returned for bad input; nothing was changed.
type ValidationError struct {
	Fields []FieldError
}

func (e *ValidationError) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for _, f := range e.Fields {
		parts = append(parts, f.Field+": "+f.Reason)
	}
	return "invalid request: " + strings.Join(parts, "; ")
}

// add records a failed field.
func (e *ValidationError) add(field string, m Message) {
	e.Fields = append(e.Fields, FieldErr(field, m))
}

// orNil returns e when it holds a failure, else nil.
func (e *ValidationError) orNil() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}
