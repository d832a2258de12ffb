// Package report turns Naver's stat report files into sheet tables, one kind of tab at a time.
//
// A Tab is one unit: which stat reports it is built from, how a day's rows of them are parsed
// and aggregated (duplicate rows of one key summed), its columns and header labels per
// language, and the on-disk format of the rows it holds while a table is built (its spill: one
// type writes and reads it). Build runs a tab's table over days of stored files, a day per
// core, in order. Which files exist, where they live and which days an account shows are the
// caller's (package service): this package knows neither the store nor the file bucket; files
// come through an Opener.
//
// The tabs, in Tabs' order: the performance tab (Performance: AD joined with AD_CONVERSION at
// campaign, ad group or keyword level), the search terms tab (SearchTerms: EXPKEYWORD per ad
// group, search term and match type) and the shopping search terms tab (ShoppingTerms:
// SHOPPINGKEYWORD_DETAIL joined with SHOPPINGKEYWORD_CONVERSION_DETAIL per ad group and search
// term).
package report
