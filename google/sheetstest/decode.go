package sheetstest

import (
	"bytes"
	"encoding/json"

	"google.golang.org/api/sheets/v4"
)

// The batchUpdate body is decoded into the sheets/v4 types, so that any field
// outside Google's schema is refused (DisallowUnknownFields), except where
// cell data is concerned: sheets.ExtendedValue has an UnmarshalJSON method,
// which makes encoding/json scan every cell value twice more and allocate
// for it. The types below embed the sheets types and shadow only the fields
// that lead to cell values: with plain mirrors, or with rows, whose
// UnmarshalJSON parses plain cells directly (rows.go), keeping the schema check.

// batchRequest is spreadsheets.batchUpdate's body.
type batchRequest struct {
	sheets.BatchUpdateSpreadsheetRequest
	Requests []*request `json:"requests"`
}

// request is one of batchUpdate's requests.
type request struct {
	sheets.Request
	UpdateCells             *updateCellsRequest `json:"updateCells"`
	AppendCells             *appendCellsRequest `json:"appendCells"`
	RepeatCell              *repeatCellRequest  `json:"repeatCell"`
	CreateDeveloperMetadata *createMetaRequest  `json:"createDeveloperMetadata"`
	UpdateDeveloperMetadata *updateMetaRequest  `json:"updateDeveloperMetadata"`
	DeleteDeveloperMetadata *deleteMetaRequest  `json:"deleteDeveloperMetadata"`
}

// The developer-metadata requests name a tab by a location's sheetId, a
// proto3 oneof member whose value 0 (the first tab's usual id) differs from
// its absence; sheets.DeveloperMetadataLocation cannot tell the two apart,
// so metaLocation shadows it with a pointer.

type metaLocation struct {
	sheets.DeveloperMetadataLocation
	SheetId *int64 `json:"sheetId"`
}

type developerMetadata struct {
	sheets.DeveloperMetadata
	Location *metaLocation `json:"location"`
}

type metaLookup struct {
	sheets.DeveloperMetadataLookup
	MetadataLocation *metaLocation `json:"metadataLocation"`
}

type dataFilter struct {
	sheets.DataFilter
	DeveloperMetadataLookup *metaLookup `json:"developerMetadataLookup"`
}

type createMetaRequest struct {
	sheets.CreateDeveloperMetadataRequest
	DeveloperMetadata *developerMetadata `json:"developerMetadata"`
}

type updateMetaRequest struct {
	sheets.UpdateDeveloperMetadataRequest
	DataFilters       []*dataFilter      `json:"dataFilters"`
	DeveloperMetadata *developerMetadata `json:"developerMetadata"`
}

type deleteMetaRequest struct {
	sheets.DeleteDeveloperMetadataRequest
	DataFilter *dataFilter `json:"dataFilter"`
}

type updateCellsRequest struct {
	sheets.UpdateCellsRequest
	Rows rows `json:"rows"`
}

type appendCellsRequest struct {
	sheets.AppendCellsRequest
	Rows rows `json:"rows"`
}

type repeatCellRequest struct {
	sheets.RepeatCellRequest
	Cell *cellData `json:"cell"`
}

// rowData is sheets.RowData for the strict path of rows.UnmarshalJSON.
type rowData struct {
	Values []*cellData `json:"values"`
}

// cellData is sheets.CellData with plain value fields.
type cellData struct {
	sheets.CellData
	UserEnteredValue *extendedValue `json:"userEnteredValue"`
	EffectiveValue   *extendedValue `json:"effectiveValue"`
}

// extendedValue mirrors sheets.ExtendedValue without its UnmarshalJSON.
type extendedValue struct {
	BoolValue    *bool              `json:"boolValue"`
	ErrorValue   *sheets.ErrorValue `json:"errorValue"`
	FormulaValue *string            `json:"formulaValue"`
	NumberValue  *float64           `json:"numberValue"`
	StringValue  *string            `json:"stringValue"`
}

// decodeBatch decodes a batchUpdate body strictly.
func decodeBatch(body []byte) (*batchRequest, error) {
	var req batchRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return nil, err
	}
	return &req, nil
}
