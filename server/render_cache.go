package server

import (
	"bytes"
	"hash/fnv"
	"html/template"
	"strings"
	"sync"

	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/realtime"
)

// The actions region lists every action, each with seven small forms; it is drawn again,
// once per variant, whenever an action appears, goes or moves, or a goal changes. An
// item whose inputs are the same as when it was last drawn is the same HTML, so it is
// drawn once and kept. The key names everything the "action-item" template reads; when
// the template reads something new, the key must name it too (TestActionItemCache
// compares cached and fresh HTML after every kind of change). The one input every goal
// change would touch, the goal picker's options, is kept out: the kept item has a slot
// for them, filled on the way out.

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
	goal  uint64      // the linked goal as the item shows it
}

// goalSlot stands in a kept item for the goal picker's options.
const goalSlot = "<!--goal-options-->"

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

// linkedGoal sums up an action's linked goal as its item shows it: whether it is there,
// and its text.
func linkedGoal(b *board.Board, id string) uint64 {
	g, ok := b.Goals[id]
	if id == "" || !ok || g.Deleted {
		return 0
	}
	h := fnv.New64a()
	h.Write([]byte(g.ID))
	h.Write([]byte{0})
	h.Write([]byte(g.Text.Value))
	return h.Sum64() | 1 // never 0, which is "none"
}

// GoalOptionsSlot is the goal picker's options, or the slot for them in an item drawn to
// be kept.
func (d fragData) GoalOptionsSlot(selected string) template.HTML {
	if d.keeping {
		return goalSlot
	}
	return d.GoalOptions(selected)
}

// ActionItem is one action's item of the actions list (e from ActionEntries): kept, or
// drawn and kept.
func (d fragData) ActionItem(e fragData) (template.HTML, error) {
	if d.items == nil || d.views == nil {
		return d.drawActionItem(e)
	}
	x := e.Action.Item
	k := actionKey{variant: e.V, dir: e.D, id: x.ID, rev: x.Rev, n: e.Action.N, pos: e.Action.Pos,
		phase: e.B.Phase(), goal: linkedGoal(e.B, x.GoalID)}
	h, ok := d.items.get(k)
	if !ok {
		e.keeping = true
		var err error
		if h, err = d.drawActionItem(e); err != nil {
			return "", err
		}
		d.items.put(k, h)
	}
	if !strings.Contains(string(h), goalSlot) {
		return h, nil // a viewer who cannot edit the action has no picker
	}
	return template.HTML(strings.Replace(string(h), goalSlot, string(d.GoalOptions(x.GoalID)), 1)), nil
}

func (d fragData) drawActionItem(e fragData) (template.HTML, error) {
	var buf bytes.Buffer
	if err := d.views.base.ExecuteTemplate(&buf, "action-item", e); err != nil {
		return "", err
	}
	return template.HTML(buf.String()), nil
}
