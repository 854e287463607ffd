package server

// Consent dates and the times shown to people are Swedish time; the zone database is
// embedded so that a minimal container without /usr/share/zoneinfo still knows it.
import _ "time/tzdata"
