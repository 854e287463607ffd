package board

import (
	"fmt"
	"strings"
)

// Perm is one thing a member may do on the board. Every op maps to exactly one Perm
// (permFor), and Matrix says which roles hold it. This table is the single source of truth;
// docs/PERMISSIONS.md is generated from it and a test keeps the two equal.
type Perm string

const (
	PermAgendaStructure Perm = "agenda.structure" // add, delete, move, rename, time box, status
	PermAgendaNotes     Perm = "agenda.notes"     // write the notes, decisions and parking lot of an agenda item
	PermAgendaPropose   Perm = "agenda.propose"   // propose an item for the agenda
	PermMeetingControl  Perm = "meeting.control"  // run the meeting: phase, current item, timers, rounds
	PermCompassWrite    Perm = "compass.write"    // det som fungerar, det som oroar
	PermChildVoice      Perm = "compass.child_voice"
	PermGuardiansView   Perm = "compass.guardians_view"
	PermRate            Perm = "compass.rate"         // rate from the actor's own perspective only
	PermChildAnswer     Perm = "compass.child_answer" // the child's own words and sharing them
	PermGoalWrite       Perm = "goal.write"           // add, edit, move goals
	PermGoalDelete      Perm = "goal.delete"
	PermActionWrite     Perm = "action.write" // add, edit, move actions
	PermActionDelete    Perm = "action.delete"
	PermPlanWrite       Perm = "plan.write"  // the plan's own fields: why, participation, responsibility, follow-up
	PermPlanFreeze      Perm = "plan.freeze" // freeze and reopen the plan; record an approval given in the room
	PermPlanSign        Perm = "plan.sign"   // sign the plan for oneself
)

// Perms lists every permission in the order the matrix document shows them.
var Perms = []Perm{
	PermAgendaStructure, PermAgendaNotes, PermAgendaPropose, PermMeetingControl,
	PermCompassWrite, PermChildVoice, PermGuardiansView, PermRate, PermChildAnswer,
	PermGoalWrite, PermGoalDelete, PermActionWrite, PermActionDelete,
	PermPlanWrite, PermPlanFreeze, PermPlanSign,
}

// Matrix is the role permission matrix. Reasoning, briefly: the Stödsamordnare runs the
// meeting and may do everything; professionals and the family co-create the content; the
// child speaks in their own words and rates from their own perspective; the network reads
// (what the coordinator lets them edit comes with the access issue).
var Matrix = map[Perm][]Role{
	PermAgendaStructure: {RoleCoordinator, RoleChildContact},
	PermAgendaNotes:     {RoleCoordinator, RoleChildContact, RoleProfessional},
	PermAgendaPropose:   {RoleCoordinator, RoleChildContact, RoleProfessional, RoleGuardian, RoleChild, RoleNetwork},
	PermMeetingControl:  {RoleCoordinator},
	PermCompassWrite:    {RoleCoordinator, RoleChildContact, RoleProfessional, RoleGuardian},
	PermChildVoice:      {RoleCoordinator, RoleChildContact, RoleProfessional, RoleGuardian, RoleChild},
	PermGuardiansView:   {RoleCoordinator, RoleChildContact, RoleProfessional, RoleGuardian},
	PermRate:            {RoleCoordinator, RoleChildContact, RoleProfessional, RoleGuardian, RoleChild},
	PermChildAnswer:     {RoleChild},
	PermGoalWrite:       {RoleCoordinator, RoleChildContact, RoleProfessional, RoleGuardian},
	PermGoalDelete:      {RoleCoordinator, RoleChildContact, RoleProfessional},
	PermActionWrite:     {RoleCoordinator, RoleChildContact, RoleProfessional, RoleGuardian},
	PermActionDelete:    {RoleCoordinator, RoleChildContact, RoleProfessional},
	PermPlanWrite:       {RoleCoordinator, RoleChildContact},
	PermPlanFreeze:      {RoleCoordinator},
	PermPlanSign:        {RoleCoordinator, RoleChildContact, RoleProfessional, RoleGuardian, RoleChild, RoleNetwork},
}

// Can reports whether a role holds a permission.
func Can(r Role, p Perm) bool {
	for _, x := range Matrix[p] {
		if x == r {
			return true
		}
	}
	return false
}

// OwnPerspective is the one rating perspective an actor may rate from: the child their own,
// each guardian their own, every professional the shared professionals' perspective.
func OwnPerspective(a Actor) string {
	switch {
	case a.Role == RoleChild:
		return PerspectiveChild
	case a.Role == RoleGuardian:
		return GuardianPerspective(a.MemberID)
	case a.Role.IsStaff():
		return PerspectiveProfessionals
	}
	return ""
}

// permFor maps an op to the permission it needs. field is the data's field for OpSet.
func permFor(kind Kind, ref Ref, field string) (Perm, bool) {
	switch ref.Kind {
	case EntityMeeting:
		switch kind {
		case OpGoto, OpPhase, OpTimer, OpRound:
			return PermMeetingControl, true
		}
	case EntityAgenda:
		switch kind {
		case OpCreate, OpMove, OpDelete:
			return PermAgendaStructure, true
		case OpSet:
			switch field {
			case "notes", "decisions", "parked":
				return PermAgendaNotes, true
			}
			return PermAgendaStructure, true
		}
	case EntityCompass:
		switch kind {
		case OpRate:
			return PermRate, true
		case OpShare:
			return PermChildAnswer, true
		case OpSet:
			switch field {
			case "child_words":
				return PermChildAnswer, true
			case "child_voice":
				return PermChildVoice, true
			case "guardians_view":
				return PermGuardiansView, true
			}
			return PermCompassWrite, true
		}
	case EntityGoal:
		switch kind {
		case OpCreate, OpSet, OpMove:
			return PermGoalWrite, true
		case OpDelete:
			return PermGoalDelete, true
		}
	case EntityAction:
		switch kind {
		case OpCreate, OpSet, OpMove:
			return PermActionWrite, true
		case OpDelete:
			return PermActionDelete, true
		}
	case EntityPlan:
		switch kind {
		case OpSet:
			return PermPlanWrite, true
		case OpFreeze, OpReopen:
			return PermPlanFreeze, true
		case OpSign:
			return PermPlanSign, true
		}
	}
	return "", false
}

// MatrixMarkdown renders Matrix as the Markdown table kept in docs/PERMISSIONS.md.
func MatrixMarkdown() string {
	var sb strings.Builder
	sb.WriteString("| permission |")
	for _, r := range Roles {
		fmt.Fprintf(&sb, " %s |", r)
	}
	sb.WriteString("\n|---|")
	for range Roles {
		sb.WriteString("---|")
	}
	sb.WriteString("\n")
	for _, p := range Perms {
		fmt.Fprintf(&sb, "| `%s` |", p)
		for _, r := range Roles {
			if Can(r, p) {
				sb.WriteString(" yes |")
			} else {
				sb.WriteString(" – |")
			}
		}
		sb.WriteString("\n")
	}
	return sb.String()
}
