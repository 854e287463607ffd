package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/barnteam/barnteam/server/realtime"
	"github.com/barnteam/barnteam/server/servertest"
)

// TestMergeAfterRoomReload: a room that was unloaded (as after a restart) has no text
// history in memory; an edit made from an older revision still merges, because the server
// finds the old text in the op log.
func TestMergeAfterRoomReload(t *testing.T) {
	env := servertest.Start(t, servertest.Options{Hub: realtime.Options{IdleRoom: 20 * time.Millisecond}})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	client := env.Client(t, "demo-teacher")

	// send dials, sends one op and returns the event or reject that answers it.
	send := func(op string) map[string]any {
		t.Helper()
		ws, _, err := env.Dial(ctx, client, "demo-teacher", -1, "")
		if err != nil {
			t.Fatal(err)
		}
		defer ws.CloseNow()
		if err := ws.Write(ctx, websocket.MessageText, []byte(op)); err != nil {
			t.Fatal(err)
		}
		var cid struct {
			CID string `json:"cid"`
		}
		json.Unmarshal([]byte(op), &cid)
		for {
			_, data, err := ws.Read(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			if m["t"] == "reject" && m["cid"] == cid.CID {
				return m
			}
			if ch, ok := m["change"].(map[string]any); ok && m["t"] == "event" && ch["cid"] == cid.CID {
				ws.Close(websocket.StatusNormalClosure, "")
				return m
			}
		}
	}
	waitUnloaded := func() {
		t.Helper()
		for env.Server.Hub().Stats().Rooms != 0 {
			select {
			case <-ctx.Done():
				t.Fatal("the room was never unloaded")
			case <-time.After(5 * time.Millisecond):
			}
		}
	}

	first := send(`{"t":"op","cid":"m1","op":"set","entity":"compass/fritid","base":0,"data":{"field":"works","value":"Simning. Fotboll."}}`)
	base := int64(first["seq"].(float64))
	send(fmt.Sprintf(`{"t":"op","cid":"m2","op":"set","entity":"compass/fritid","base":%d,"data":{"field":"works","value":"Simning på tisdagar. Fotboll."}}`, base))
	waitUnloaded()
	ev := send(fmt.Sprintf(`{"t":"op","cid":"m3","op":"set","entity":"compass/fritid","base":%d,"data":{"field":"works","value":"Simning. Fotboll varje lördag."}}`, base))
	if ev["t"] != "event" {
		t.Fatalf("edit from an old revision after a reload: %v", ev)
	}
	ch := ev["change"].(map[string]any)
	works := ch["compass"].(map[string]any)["works"].(map[string]any)["v"].(string)
	if ch["merged"] != true || works != "Simning på tisdagar. Fotboll varje lördag." {
		t.Errorf("merged=%v text %q", ch["merged"], works)
	}
	if !strings.Contains(works, "tisdagar") {
		t.Error("the other edit was lost")
	}
}
