package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/naversync/naversync/service"
)

// decodeBody reads r's JSON body into v strictly: a JSON media type, at most maxBytes, exactly
// one value, no unknown fields, every field of its type. It returns a *requestError.
func decodeBody(w http.ResponseWriter, r *http.Request, maxBytes int64, v any) error {
	body, err := jsonBody(w, r, maxBytes)
	if err != nil {
		return err
	}
	return decodeJSON(body, v)
}

// jsonBody checks that r's body is declared JSON and returns it bounded to maxBytes.
func jsonBody(w http.ResponseWriter, r *http.Request, maxBytes int64) (io.Reader, error) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
		return nil, &requestError{kind: kindMediaType, detail: service.Msg(service.MsgMediaType, "send the body as application/json")}
	}
	return http.MaxBytesReader(w, r.Body, maxBytes), nil
}

// decodeJSON decodes exactly one JSON value from rd into v, refusing unknown fields, and turns
// every failure into a *requestError that names the field when there is one.
func decodeJSON(rd io.Reader, v any) error {
	dec := json.NewDecoder(rd)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	// Exactly one value: anything but white space after it is refused.
	var extra json.RawMessage
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
		return nil
	case err == nil:
		return &requestError{kind: kindMalformed, detail: service.Msg(service.MsgBodyOneValue, "the body must hold exactly one JSON value")}
	default:
		return decodeError(err)
	}
}

// decodeError maps an encoding/json or body-size error to a *requestError.
func decodeError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var big *http.MaxBytesError
	switch {
	case errors.As(err, &big):
		return &requestError{kind: kindTooLarge, detail: service.Msg(service.MsgBodyTooLarge, fmt.Sprintf("the body may hold at most %d bytes", big.Limit), "max", strconv.FormatInt(big.Limit, 10))}
	case errors.Is(err, io.EOF):
		return &requestError{kind: kindMalformed, detail: service.Msg(service.MsgBodyEmpty, "the request body is empty")}
	case errors.Is(err, io.ErrUnexpectedEOF):
		return &requestError{kind: kindMalformed, detail: service.Msg(service.MsgBodyTruncated, "the body ends in the middle of a JSON value")}
	case errors.As(err, &syn):
		return &requestError{kind: kindMalformed, detail: service.Msg(service.MsgBodySyntax, fmt.Sprintf("invalid JSON at byte %d", syn.Offset), "offset", strconv.FormatInt(syn.Offset, 10))}
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return &requestError{kind: kindMalformed, detail: service.Msg(service.MsgBodyNotObject, "the body must be a JSON object")}
		}
		return invalid(field, service.MsgFieldType, "must be "+jsonKind(typ.Type.Kind().String()), "type", jsonType(typ.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no typed error for unknown fields; its message is stable.
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return invalid(name, service.MsgFieldUnknown, "unknown field")
	default:
		return &requestError{kind: kindMalformed, detail: service.Msg(service.MsgBodyUndecodable, "the body could not be decoded as JSON")}
	}
}

// jsonKind names a Go kind as a JSON type for messages.
func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "an integer in range"
	case "float32", "float64":
		return "a number"
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	default:
		return "of another type"
	}
}

// syncRequestBody is the body of POST /syncs.
type syncRequestBody struct {
	AccountID string `json:"account_id"`
	Days      *int   `json:"days"`
	From      string `json:"from"`
	To        string `json:"to"`
	Full      bool   `json:"full"`
}

// decodeSyncRequest decodes a POST /syncs body; the idempotency key and trigger are set by
// the caller.
func decodeSyncRequest(rd io.Reader) (service.SyncRequest, error) {
	var b syncRequestBody
	if err := decodeJSON(rd, &b); err != nil {
		return service.SyncRequest{}, err
	}
	req := service.SyncRequest{AccountID: b.AccountID, From: b.From, To: b.To, Full: b.Full}
	if b.Days != nil {
		// The service reads 0 as "not given"; a client that sends a number means a range.
		if *b.Days < 1 {
			return service.SyncRequest{}, invalid("days", service.MsgFieldAtLeastOne, "at least 1")
		}
		req.Days = *b.Days
	}
	return req, nil
}

// jsonType is the JSON type of a Go kind, a parameter of field.type: string, boolean,
// integer, number, object, array or other.
func jsonType(k string) string {
	switch k {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "integer"
	case "float32", "float64":
		return "number"
	case "struct", "map":
		return "object"
	case "slice", "array":
		return "array"
	default:
		return "other"
	}
}
