package sheetstest

import (
	"fmt"
	"slices"
	"strings"

	"google.golang.org/api/sheets/v4"
)

// Developer metadata: key/value pairs an application attaches to a
// spreadsheet or a tab, invisible to users, changed atomically with the rest
// of a batch. The stand-in supports locations on the spreadsheet and on a
// tab (not on rows or columns), and lookups by id, key, value, location and
// visibility.

// metaOwner is where an entry is stored: the spreadsheet or one of its tabs.
type metaOwner struct {
	book *spreadsheet
	g    *grid // nil: the spreadsheet
}

func (o metaOwner) list() *[]*sheets.DeveloperMetadata {
	if o.g != nil {
		return &o.g.meta
	}
	return &o.book.meta
}

// allMeta calls fn for every entry with its owner; fn returns false to stop.
func allMeta(book *spreadsheet, fn func(metaOwner, *sheets.DeveloperMetadata) bool) {
	for _, m := range book.meta {
		if !fn(metaOwner{book: book}, m) {
			return
		}
	}
	for _, g := range book.grids {
		for _, m := range g.meta {
			if !fn(metaOwner{book: book, g: g}, m) {
				return
			}
		}
	}
}

func createMetadata(book *spreadsheet, rq *createMetaRequest) (*sheets.CreateDeveloperMetadataResponse, string) {
	in := rq.DeveloperMetadata
	switch {
	case in == nil:
		return nil, "developerMetadata is required"
	case in.MetadataKey == "":
		return nil, "Developer metadata must have a key."
	case in.Visibility != "DOCUMENT" && in.Visibility != "PROJECT":
		return nil, "Developer metadata must always have a visibility specified."
	case in.Location == nil:
		return nil, "Developer metadata must have a location."
	case in.MetadataId < 0:
		return nil, fmt.Sprintf("Invalid metadataId: %d", in.MetadataId)
	}
	loc := in.Location
	out := in.DeveloperMetadata // a fresh copy: stored entries are never changed in place
	owner := metaOwner{book: book}
	switch {
	case loc.DimensionRange != nil:
		return nil, "dimensionRange locations are not supported by the stand-in"
	case loc.SheetId != nil && loc.Spreadsheet:
		return nil, "Only one location may be set."
	case loc.SheetId != nil:
		g := book.editByID(*loc.SheetId)
		if g == nil {
			return nil, fmt.Sprintf("No grid with id: %d", *loc.SheetId)
		}
		owner.g = g
		out.Location = &sheets.DeveloperMetadataLocation{LocationType: "SHEET", SheetId: g.id, ForceSendFields: []string{"SheetId"}}
	case loc.Spreadsheet:
		out.Location = &sheets.DeveloperMetadataLocation{LocationType: "SPREADSHEET", Spreadsheet: true}
	default:
		return nil, "Developer metadata must have a location."
	}
	var maxID int64
	taken := false
	allMeta(book, func(_ metaOwner, m *sheets.DeveloperMetadata) bool {
		maxID = max(maxID, m.MetadataId)
		taken = taken || m.MetadataId == out.MetadataId
		return true
	})
	if out.MetadataId == 0 {
		out.MetadataId = maxID + 1
	} else if taken {
		return nil, fmt.Sprintf("Metadata with ID %d already exists.", out.MetadataId)
	}
	list := owner.list()
	*list = append(*list, &out)
	return &sheets.CreateDeveloperMetadataResponse{DeveloperMetadata: &out}, ""
}

// lookupMatches applies a DataFilter's developerMetadataLookup to one entry.
func lookupMatches(f *dataFilter, o metaOwner, m *sheets.DeveloperMetadata) (bool, string) {
	if f == nil || f.DeveloperMetadataLookup == nil {
		return false, "Only developerMetadataLookup data filters are supported by the stand-in."
	}
	l := f.DeveloperMetadataLookup
	if l.LocationMatchingStrategy != "" && l.LocationMatchingStrategy != "EXACT_LOCATION" {
		return false, "locationMatchingStrategy INTERSECTING_LOCATION is not supported by the stand-in"
	}
	if l.MetadataId != 0 && l.MetadataId != m.MetadataId ||
		l.MetadataKey != "" && l.MetadataKey != m.MetadataKey ||
		l.MetadataValue != "" && l.MetadataValue != m.MetadataValue ||
		l.Visibility != "" && l.Visibility != m.Visibility {
		return false, ""
	}
	switch l.LocationType {
	case "":
	case "SHEET":
		if o.g == nil {
			return false, ""
		}
	case "SPREADSHEET":
		if o.g != nil {
			return false, ""
		}
	default:
		return false, fmt.Sprintf("locationType %q not supported by the stand-in", l.LocationType)
	}
	if loc := l.MetadataLocation; loc != nil {
		switch {
		case loc.SheetId != nil:
			return o.g != nil && o.g.id == *loc.SheetId, ""
		case loc.Spreadsheet:
			return o.g == nil, ""
		}
	}
	return true, ""
}

// matching returns the entries matching any of filters.
func matching(book *spreadsheet, filters []*dataFilter) ([]metaOwner, []*sheets.DeveloperMetadata, string) {
	if len(filters) == 0 {
		return nil, nil, "At least one data filter must be specified."
	}
	var owners []metaOwner
	var found []*sheets.DeveloperMetadata
	var msg string
	allMeta(book, func(o metaOwner, m *sheets.DeveloperMetadata) bool {
		for _, f := range filters {
			var ok bool
			if ok, msg = lookupMatches(f, o, m); msg != "" {
				return false
			}
			if ok {
				owners, found = append(owners, o), append(found, m)
				break
			}
		}
		return true
	})
	return owners, found, msg
}

func updateMetadata(book *spreadsheet, rq *updateMetaRequest) (*sheets.UpdateDeveloperMetadataResponse, string) {
	if rq.DeveloperMetadata == nil {
		return nil, "developerMetadata is required"
	}
	if rq.Fields == "" {
		return nil, "At least one field must be specified in 'fields'."
	}
	owners, found, msg := matching(book, rq.DataFilters)
	if msg != "" {
		return nil, msg
	}
	in := rq.DeveloperMetadata
	resp := &sheets.UpdateDeveloperMetadataResponse{}
	for i, m := range found {
		changed := *m
		for _, f := range splitFields(rq.Fields) {
			switch f {
			case "metadataValue":
				changed.MetadataValue = in.MetadataValue
			case "metadataKey":
				if in.MetadataKey == "" {
					return nil, "Developer metadata must have a key."
				}
				changed.MetadataKey = in.MetadataKey
			case "visibility":
				changed.Visibility = in.Visibility
			default:
				return nil, fmt.Sprintf("field %q not supported by the stand-in", f)
			}
		}
		o := owners[i]
		if o.g != nil {
			o.g = book.editByID(o.g.id)
		}
		list := o.list()
		j := slices.Index(*list, m)
		(*list)[j] = &changed
		resp.DeveloperMetadata = append(resp.DeveloperMetadata, &changed)
	}
	return resp, ""
}

func deleteMetadata(book *spreadsheet, rq *deleteMetaRequest) (*sheets.DeleteDeveloperMetadataResponse, string) {
	if rq.DataFilter == nil {
		return nil, "dataFilter is required"
	}
	owners, found, msg := matching(book, []*dataFilter{rq.DataFilter})
	if msg != "" {
		return nil, msg
	}
	resp := &sheets.DeleteDeveloperMetadataResponse{}
	for i, m := range found {
		o := owners[i]
		if o.g != nil {
			o.g = book.editByID(o.g.id)
		}
		list := o.list()
		*list = slices.DeleteFunc(*list, func(x *sheets.DeveloperMetadata) bool { return x == m })
		resp.DeletedDeveloperMetadata = append(resp.DeletedDeveloperMetadata, m)
	}
	return resp, ""
}

// splitFields splits a field mask into its trimmed paths.
func splitFields(mask string) []string {
	var out []string
	for f := range strings.SplitSeq(mask, ",") {
		out = append(out, strings.TrimSpace(f))
	}
	return out
}
