// Package frontend holds the server-rendered templates, the stylesheet, the small
// JavaScript modules and the translation catalogs, embedded into the binary.
package frontend

import "embed"

// Templates are html/template files: layout.html plus one file per page.
//
//go:embed templates/*.html
var Templates embed.FS

// Static are the assets served under /static/ with content-hashed URLs.
//
//go:embed static
var Static embed.FS

// Catalogs are the UI strings, one JSON file per language (zh-Hans, zh-Hant, en).
//
//go:embed i18n/*.json
var Catalogs embed.FS
