package server

import (
	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/realtime"
)

// screenRegions renders the shared screen's regions: all of them when ch is nil, else
// those the change touched.
func (r boardRenderer) screenRegions(v realtime.Variant, b *board.Board, d *board.Directory, ch *board.Change) ([]realtime.Fragment, error) {
	return nil, nil
}
