package compass

import (
	"testing"

	"github.com/barnteam/barnteam/server/board"
)

func BenchmarkRadar(b *testing.B) {
	p, l := partial(), svLabels()
	b.ReportAllocs()
	for b.Loop() {
		_ = Radar(p, l, Options{})
	}
}

func BenchmarkRadarLayout(b *testing.B) {
	p, l := partial(), svLabels()
	b.ReportAllocs()
	for b.Loop() {
		_ = RadarLayout(p, l, Options{})
	}
}

// The wheel's layout is cached per label set; this is the cost of every later drawing.
func BenchmarkWheel(b *testing.B) {
	l := svLabels()
	opt := Options{Href: func(a board.Area) string { return "/barn/kompass/" + string(a) }}
	b.ReportAllocs()
	for b.Loop() {
		_ = Wheel(wheelAnswers(), l, opt)
	}
}

// The first drawing of a label set: the layout search.
func BenchmarkWheelLayout(b *testing.B) {
	l := svLabels()
	b.ReportAllocs()
	for b.Loop() {
		_ = computeWheelLayout(l, Options{})
	}
}

func BenchmarkTable(b *testing.B) {
	p, l := partial(), svLabels()
	b.ReportAllocs()
	for b.Loop() {
		_ = Table(p, l, "t")
	}
}
