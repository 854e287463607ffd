package compass

import "github.com/barnteam/barnteam/server/board"

// The default Swedish labels (DOMAIN.md) as the message catalog gives them.
func svLabels() Labels {
	return Labels{
		Area: map[board.Area]string{
			"trygghet": "Trygghet", "halsa": "Hälsa", "utveckling": "Utveckling", "omsorg": "Omsorg",
			"fritid": "Fritid", "tillhorighet": "Tillhörighet", "respekt": "Respekterad", "ansvar": "Ansvar",
		},
		ChildArea: map[board.Area]string{
			"trygghet": "Jag känner mig trygg", "halsa": "Jag mår bra", "utveckling": "Jag lär mig och utvecklas",
			"omsorg": "Någon tar hand om mig", "fritid": "Jag har något roligt att göra",
			"tillhorighet": "Jag hör till och får vara med", "respekt": "Jag blir lyssnad på", "ansvar": "Jag får ta ansvar",
		},
		Unrated:     "Inte bedömt",
		Unknown:     "Vet inte",
		Declined:    "Vill inte svara",
		Title:       "Behovskompassen",
		Desc:        "Åtta områden, skala 1 till 5, varje perspektiv för sig.",
		Scale:       [5]string{"Mycket dåligt", "Ganska dåligt", "Varken bra eller dåligt", "Ganska bra", "Mycket bra"},
		AreaHeading: "Område",
	}
}

// A municipality's own, long wording.
func longLabels() Labels {
	l := svLabels()
	l.Area = map[board.Area]string{
		"trygghet":     "Trygghet hemma, i skolan och på fritiden",
		"halsa":        "Fysisk och psykisk hälsa",
		"utveckling":   "Utveckling och lärande i förskola och skola",
		"omsorg":       "Omsorg och grundläggande behov",
		"fritid":       "Fritid, lek och kamratrelationer",
		"tillhorighet": "Tillhörighet och delaktighet i skolan",
		"respekt":      "Respekterad och lyssnad på av vuxna",
		"ansvar":       "Ansvarstagande utifrån ålder och mognad",
	}
	l.ChildArea = map[board.Area]string{
		"trygghet":     "Jag känner mig trygg hemma och i skolan",
		"halsa":        "Jag mår bra i kroppen och i huvudet",
		"utveckling":   "Jag lär mig nya saker och utvecklas",
		"omsorg":       "Det finns vuxna som tar hand om mig",
		"fritid":       "Jag har något roligt att göra på fritiden",
		"tillhorighet": "Jag hör till och får vara med mina kompisar",
		"respekt":      "Vuxna lyssnar på mig och tar mig på allvar",
		"ansvar":       "Jag får ta ansvar för saker jag klarar",
	}
	return l
}

// Arabic labels for the right-to-left drawings.
func arLabels() Labels {
	return Labels{
		Area: map[board.Area]string{
			"trygghet": "الأمان", "halsa": "الصحة", "utveckling": "النمو والتعلم", "omsorg": "الرعاية",
			"fritid": "وقت الفراغ", "tillhorighet": "الانتماء", "respekt": "الاحترام", "ansvar": "المسؤولية",
		},
		ChildArea: map[board.Area]string{
			"trygghet": "أشعر بالأمان", "halsa": "أنا بخير", "utveckling": "أتعلم وأكبر",
			"omsorg": "هناك من يعتني بي", "fritid": "لدي شيء ممتع أفعله",
			"tillhorighet": "أنتمي وأشارك", "respekt": "يستمعون إلي", "ansvar": "أتحمل المسؤولية",
		},
		Unrated:  "لم يُقيَّم",
		Unknown:  "لا أعرف",
		Declined: "لا أريد الإجابة",
		Title:    "بوصلة الاحتياجات",
		Desc:     "ثمانية مجالات، من 1 إلى 5، لكل منظور على حدة.",
		Scale:    [5]string{"سيئ جدا", "سيئ نوعا ما", "لا جيد ولا سيئ", "جيد نوعا ما", "جيد جدا"},
	}
}

// The partial case of issue 4: the child rated 3 areas and said "vet inte" on one,
// guardian A gave 5 answers, one of them "vill inte svara", guardian B none, and the
// professionals rated all 8.
func partial() []Perspective {
	return []Perspective{
		{Key: board.PerspectiveChild, Label: "Alva själv", Ratings: map[board.Area]board.Rating{
			"trygghet": "4", "halsa": "3", "utveckling": board.RatingUnknown, "fritid": "5"}},
		{Key: "guardian:g1", Label: "Sara Nilsson", Ratings: map[board.Area]board.Rating{
			"trygghet": "2", "halsa": board.RatingDeclined, "utveckling": "3", "omsorg": "4", "ansvar": "3"}},
		{Key: "guardian:g2", Label: "Ahmed Al-Sayed", Ratings: map[board.Area]board.Rating{}},
		{Key: board.PerspectiveProfessionals, Label: "De professionella", Ratings: map[board.Area]board.Rating{
			"trygghet": "2", "halsa": "3", "utveckling": "2", "omsorg": "3",
			"fritid": "4", "tillhorighet": "1", "respekt": "3", "ansvar": "4"}},
	}
}

// partialSegments is the number of straight segments partial() draws: the child 1
// (trygghet–hälsa; fritid is a lone marker), guardian A 2 (ansvar–trygghet across the
// wrap-around, utveckling–omsorg), guardian B 0, the professionals 8 (closed).
const partialSegments = 11

func arPartial() []Perspective {
	p := partial()
	p[0].Label = "ألفا"
	p[1].Label = "سارة نيلسون"
	p[2].Label = "أحمد السيد"
	p[3].Label = "المختصون"
	return p
}

func wheelAnswers() map[board.Area]board.Rating {
	return map[board.Area]board.Rating{"trygghet": "4", "halsa": board.RatingUnknown, "fritid": "5"}
}
