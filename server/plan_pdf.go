package server

import (
	"context"
	"fmt"
	"time"

	"github.com/barnteam/barnteam/exports"
	"github.com/barnteam/barnteam/server/board"
)

// The signed plan's PDF and Markdown, made by package exports from the frozen version.
// The PDF of a version is made once and kept: every later download is those bytes, which
// is what /verify checks an uploaded PDF against.

// evidence is what an export shows besides the plan: the sign-off and the server's seal.
func (s *Server) evidence(v board.PlanVersion) exports.Evidence {
	return exports.Evidence{Status: v.Status, Signatures: v.Signatures, Events: v.Events,
		VerifyURL: s.cfg.BaseURL + "/verify", ServerSignature: s.signer.Sign(v.Canonical), PublicKey: s.signer.PublicKey()}
}

// planPDF returns the PDF of an established version: the kept one, or a new one, kept.
func (s *Server) planPDF(ctx context.Context, v board.PlanVersion, doc board.PlanDoc) ([]byte, error) {
	if pdf, err := s.cfg.Store.PlanPDF(ctx, v.MeetingID, v.Version); err == nil {
		return pdf, nil
	}
	if v.Status != board.PlanEstablished {
		return nil, fmt.Errorf("plan %s version %d is %s, not established", v.MeetingID, v.Version, v.Status)
	}
	s.pdfMaking.Lock()
	defer s.pdfMaking.Unlock()
	// Whoever waited here for the same version finds it made.
	if pdf, err := s.cfg.Store.PlanPDF(ctx, v.MeetingID, v.Version); err == nil {
		return pdf, nil
	}
	start := time.Now()
	pdf, err := exports.PDF(doc, s.evidence(v))
	if err != nil {
		return nil, err
	}
	s.pdfTime.ObserveSince(start)
	s.pdfsMade.Inc()
	// Another instance may make it at the same time: the first kept wins and both answer
	// with it.
	return s.cfg.Store.SavePlanPDF(ctx, v.MeetingID, v.Version, pdf, s.cfg.Now())
}

// planMarkdown is the plan as Markdown for a journal system.
func (s *Server) planMarkdown(v board.PlanVersion, doc board.PlanDoc) ([]byte, error) {
	return exports.Markdown(doc, s.evidence(v))
}
