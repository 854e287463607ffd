package server

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/barnteam/barnteam/server/board"
)

// /verify answers, for anyone, whether a plan is authentic: by its verification code
// (printed on the evidence page) or by the PDF itself. A PDF is authentic when its exact
// bytes are a PDF this server issued; any changed byte makes it unknown. The answer names
// the version and whether a later version has superseded it, never the child or anyone's
// words.

// maxVerifyUpload bounds an uploaded PDF; a plan of 200 actions is far smaller.
const maxVerifyUpload = 20 << 20

const (
	verifyCodeAttempts = 60 // codes per address per window: 80-bit codes cannot be guessed, but nobody needs more
	verifyCodeWindow   = 15 * time.Minute
)

type verifyResult struct {
	Asked      string // "code" or "file"
	Found      bool
	Status     string // "current", "superseded", "not_established"
	Version    board.PlanVersion
	Latest     int // the superseding version
	Code       string
	FileSHA256 string
}

type verifyPage struct {
	Result *verifyResult
	Error  string
	Code   string
	KeyID  string
}

func (s *Server) renderVerify(c echo.Context, code int, pg verifyPage) error {
	p := s.printer(c, "")
	pg.KeyID = s.signer.KeyID()
	return s.render(c, code, "verify", pageData{P: p, Title: p.T("verify.title"), Page: pg})
}

// verifyForm is GET /verify.
func (s *Server) verifyForm(c echo.Context) error {
	return s.renderVerify(c, http.StatusOK, verifyPage{})
}

// verifyKey is GET /verify/key.pem: the public key that verifies the server's signature
// of every canonical plan.
func (s *Server) verifyKey(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "public, max-age=3600")
	return c.Blob(http.StatusOK, "application/x-pem-file", s.signer.PublicKeyPEM())
}

// verifyCode is POST /verify/code.
func (s *Server) verifyCode(c echo.Context) error {
	p := s.printer(c, "")
	typed := c.FormValue("code")
	now := s.cfg.Now()
	if !s.verifyLimiter.Allow(c.RealIP(), now) {
		c.Response().Header().Set("Retry-After", "900")
		return s.renderVerify(c, http.StatusTooManyRequests, verifyPage{Code: typed, Error: p.T("verify.too_many")})
	}
	s.verifyLimiter.Hit(c.RealIP(), now)
	code, err := board.NormalVerificationCode(typed)
	if err != nil {
		return s.renderVerify(c, http.StatusUnprocessableEntity, verifyPage{Code: typed, Error: p.T("verify.code_invalid")})
	}
	res := &verifyResult{Asked: "code", Code: code}
	v, err := s.cfg.Store.PlanVersionByCode(c.Request().Context(), code)
	switch {
	case errors.Is(err, board.ErrNotFound):
	case err != nil:
		return err
	default:
		if err := s.verifyStatus(c.Request().Context(), res, v); err != nil {
			return err
		}
	}
	return s.renderVerify(c, http.StatusOK, verifyPage{Result: res, Code: typed})
}

// verifyFile is POST /verify/file: an uploaded PDF.
func (s *Server) verifyFile(c echo.Context) error {
	p := s.printer(c, "")
	c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, maxVerifyUpload+64<<10)
	fh, err := c.FormFile("pdf")
	if err != nil {
		return s.renderVerify(c, http.StatusUnprocessableEntity, verifyPage{Error: p.T("verify.file_missing")})
	}
	if fh.Size > maxVerifyUpload {
		return s.renderVerify(c, http.StatusRequestEntityTooLarge, verifyPage{Error: p.T("verify.file_too_big")})
	}
	f, err := fh.Open()
	if err != nil {
		return s.renderVerify(c, http.StatusUnprocessableEntity, verifyPage{Error: p.T("verify.file_missing")})
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.LimitReader(f, maxVerifyUpload+1)); err != nil {
		return s.renderVerify(c, http.StatusUnprocessableEntity, verifyPage{Error: p.T("verify.file_missing")})
	}
	sum := hex.EncodeToString(h.Sum(nil))
	res := &verifyResult{Asked: "file", FileSHA256: sum}
	ctx := c.Request().Context()
	meetingID, version, err := s.cfg.Store.PlanPDFByHash(ctx, sum)
	switch {
	case errors.Is(err, board.ErrNotFound):
	case err != nil:
		return err
	default:
		v, err := s.cfg.Store.PlanVersion(ctx, meetingID, version)
		if err != nil {
			return err
		}
		if err := s.verifyStatus(ctx, res, v); err != nil {
			return err
		}
	}
	return s.renderVerify(c, http.StatusOK, verifyPage{Result: res})
}

// verifyStatus says whether a found version is current, superseded by a later established
// one, or was never established.
func (s *Server) verifyStatus(ctx context.Context, res *verifyResult, v board.PlanVersion) error {
	res.Found, res.Version = true, v
	res.Version.Canonical = nil
	if v.Status != board.PlanEstablished {
		res.Status = "not_established"
		return nil
	}
	list, err := s.cfg.Store.PlanVersions(ctx, v.MeetingID)
	if err != nil {
		return err
	}
	res.Status = "current"
	if n := board.SupersededBy(list, v); n > 0 {
		res.Status, res.Latest = "superseded", n
	}
	return nil
}
