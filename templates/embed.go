// Package templates embeds the html/template files: the layout, the pages and the board
// fragments that live events re-render.
package templates

import "embed"

// FS holds every template.
//
//go:embed *.html
var FS embed.FS
