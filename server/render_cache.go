package server

import (
	"bytes"
	"hash/fnv"
	"html/template"
	"sync"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/realtime"
)

// The actions region lists every action, each with seven small forms; it is drawn again,
// once per variant, whenever an action appears, goes or moves, or a goal changes. An
// item whose inputs are the same as when it was last drawn is the same HTML, so it is
// drawn once and kept. The key names everything the "action-item" template reads; when
// the template reads something new, the key must name it too (TestActionItemCache
// compares cached and fresh HTML after every kind of change).

// itemCacheLimit bounds the kept HTML; past it the cache starts over. Items are a few
// kilobytes, so this holds the actions of a few thousand meetings in every variant.
const itemCacheLimit = 32 << 20

type itemCache struct {
	mu    sync.Mutex
	items map[actionKey]template.HTML
	bytes int
}

func newItemCache() *itemCache { return &itemCache{items: map[actionKey]template.HTML{}} }

// actionKey is what an action's item depends on.
type actionKey struct {
	variant realtime.Variant
	// dir is the room's directory (names, organisations, the meeting): a room that reads
	// it again gets a new one. Keeping the pointer in the key also keeps the directory
	// alive, so the address cannot be reused by another while the entry exists.
	dir   *board.Directory
	id    string
	rev   int64 // the action's revision: any change to it is a new one
	n     int
	pos   listPos
	phase board.Phase // what the viewer may do depends on it
	goals uint64      // what the item shows of the goals (the goal picker, the linked goal)
}

func (c *itemCache) get(k actionKey) (template.HTML, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h, ok := c.items[k]
	return h, ok
}

func (c *itemCache) put(k actionKey, h template.HTML) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.bytes+len(h) > itemCacheLimit {
		c.items, c.bytes = map[actionKey]template.HTML{}, 0
	}
	if _, ok := c.items[k]; !ok {
		c.items[k] = h
		c.bytes += len(h)
	}
}

// goalsHash sums up the live goals as an action's item shows them: id, area and text.
func goalsHash(b *board.Board) uint64 {
	h := fnv.New64a()
	for _, a := range board.Areas {
		for _, g := range b.GoalsFor(a) {
			h.Write([]byte(g.ID))
			h.Write([]byte{0})
			h.Write([]byte(a))
			h.Write([]byte{0})
			h.Write([]byte(g.Text.Value))
			h.Write([]byte{0})
		}
	}
	return h.Sum64()
}

// ActionItem is one action's item of the actions list (e from ActionEntries): kept, or
// drawn and kept.
func (d fragData) ActionItem(e fragData) (template.HTML, error) {
	if d.items == nil || d.views == nil {
		return d.drawActionItem(e)
	}
	k := actionKey{variant: e.V, dir: e.D, id: e.Action.Item.ID, rev: e.Action.Item.Rev, n: e.Action.N, pos: e.Action.Pos,
		phase: e.B.Phase(), goals: e.goals}
	if h, ok := d.items.get(k); ok {
		return h, nil
	}
	h, err := d.drawActionItem(e)
	if err == nil {
		d.items.put(k, h)
	}
	return h, err
}

func (d fragData) drawActionItem(e fragData) (template.HTML, error) {
	var buf bytes.Buffer
	if err := d.views.base.ExecuteTemplate(&buf, "action-item", e); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil
}
