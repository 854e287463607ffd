// Package static embeds the browser assets: CSS, the ES-module client, vendored idiomorph
// and icons. They are served under a content-hashed prefix so they can be cached forever.
package static

import "embed"

// FS holds every asset.
//
//go:embed css js vendor
var FS embed.FS
