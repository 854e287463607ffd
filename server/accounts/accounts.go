// Package accounts is staff sign-in as a service, used by the web pages and by the
// command line: the first administrator's setup link, adding users with a one-time link
// to set their password, logging in with rate limits, sessions with idle and absolute
// expiry, logging out. It writes the audit rows for what it does.
package accounts

import (
	"context"
	"errors"
	"net/mail"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/barnteam/barnteam/server/auth"
	"github.com/barnteam/barnteam/server/board"
	"github.com/barnteam/barnteam/server/secret"
)

// Lifetimes. A meeting lasts 60–90 minutes with the board open and few page loads, so a
// staff session survives two idle hours; it ends after twelve hours whatever happens.
const (
	SessionIdle     = 2 * time.Hour
	SessionMax      = 12 * time.Hour
	SetupTTL        = 24 * time.Hour
	PasswordLinkTTL = 72 * time.Hour
)

// Login limits: 5 failed attempts per account and 50 per address in 15 minutes.
const (
	maxFailsPerAccount = 5
	maxFailsPerAddress = 50
	failWindow         = 15 * time.Minute
)

// Errors the pages turn into messages.
var (
	ErrBadLogin    = errors.New("wrong e-mail or password")
	ErrRateLimited = errors.New("too many attempts")
)

// Service signs staff in. Its zero value is not usable; call New.
type Service struct {
	store   board.Store
	baseURL *url.URL
	now     func() time.Time

	perAccount *auth.Limiter
	perAddress *auth.Limiter
	setup      *auth.Limiter // setup and password-link attempts, per address
}

// New makes a service. now may be nil (time.Now).
func New(store board.Store, baseURL string, now func() time.Time) (*Service, error) {
	u, err := url.Parse(baseURL)
	if err != nil || u.Host == "" {
		return nil, errors.New("accounts: base URL must be absolute")
	}
	if now == nil {
		now = time.Now
	}
	return &Service{
		store: store, baseURL: u, now: now,
		perAccount: auth.NewLimiter(maxFailsPerAccount, failWindow),
		perAddress: auth.NewLimiter(maxFailsPerAddress, failWindow),
		setup:      auth.NewLimiter(maxFailsPerAccount*2, failWindow),
	}, nil
}

// Now is the service's clock.
func (s *Service) Now() time.Time { return s.now() }

func (s *Service) link(path, token string) string { return s.baseURL.JoinPath(path, token).String() }

// SetupLink returns a one-time link that creates the first administrator, or "" when an
// administrator exists. A new link is made on every call (each start prints one).
func (s *Service) SetupLink(ctx context.Context) (string, error) {
	n, err := s.store.CountAdmins(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	token, hash := secret.NewToken()
	now := s.now()
	if err := s.store.CreateAccountToken(ctx, board.AccountToken{TokenHash: hash, Purpose: board.TokenSetup, CreatedAt: now, ExpiresAt: now.Add(SetupTTL)}); err != nil {
		return "", err
	}
	return s.link("/a", token), nil
}

// Actor is who does something, for the audit log.
type Actor struct {
	User    board.User
	OrgName string
	Address string
}

func (a Actor) entry(action board.AuditAction, at time.Time, target string) board.AuditEntry {
	return board.AuditEntry{At: at, UserID: a.User.ID, ActorName: a.User.Name, OrgID: a.User.OrgID, OrgName: a.OrgName, Action: action, Target: target, Address: a.Address}
}

// CleanUser validates and normalises a new or changed user's fields. Errors are
// *board.Error with catalog keys.
func CleanUser(ctx context.Context, store board.Store, u *board.User) error {
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	u.Name = strings.TrimSpace(u.Name)
	u.Title = strings.TrimSpace(u.Title)
	if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email || len(u.Email) > 254 {
		return &board.Error{Code: board.CodeInvalid, Field: "email", Key: "account.invalid.email"}
	}
	if u.Name == "" || utf8.RuneCountInString(u.Name) > 100 || !utf8.ValidString(u.Name) {
		return &board.Error{Code: board.CodeInvalid, Field: "name", Key: "account.invalid.name"}
	}
	if utf8.RuneCountInString(u.Title) > 100 {
		return &board.Error{Code: board.CodeInvalid, Field: "title", Key: "account.invalid.title"}
	}
	if u.OrgID != "" {
		if _, err := store.Organisation(ctx, u.OrgID); err != nil {
			return &board.Error{Code: board.CodeInvalid, Field: "org", Key: "account.invalid.org"}
		}
	}
	return nil
}

// AddUser creates a staff account without a password and returns a one-time link with
// which the person sets it. by is the administrator (zero for the command line).
func (s *Service) AddUser(ctx context.Context, u board.User, by Actor) (board.User, string, error) {
	if err := CleanUser(ctx, s.store, &u); err != nil {
		return u, "", err
	}
	u.ID = secret.ID(16)
	u.CreatedAt = s.now()
	u.PasswordHash = ""
	if err := s.store.CreateUser(ctx, u); err != nil {
		if errors.Is(err, board.ErrExists) {
			return u, "", &board.Error{Code: board.CodeInvalid, Field: "email", Key: "account.invalid.email_taken"}
		}
		return u, "", err
	}
	link, err := s.PasswordLink(ctx, u.ID)
	if err != nil {
		return u, "", err
	}
	return u, link, s.store.AppendAudit(ctx, by.entry(board.AuditUserCreated, s.now(), "user "+u.ID))
}

// PasswordLink makes a one-time link with which the user sets a new password. Earlier
// unused links of the user stop working: only the newest one is out there.
func (s *Service) PasswordLink(ctx context.Context, userID string) (string, error) {
	if err := s.store.RevokeAccountTokens(ctx, userID, board.TokenPassword); err != nil {
		return "", err
	}
	token, hash := secret.NewToken()
	now := s.now()
	if err := s.store.CreateAccountToken(ctx, board.AccountToken{TokenHash: hash, Purpose: board.TokenPassword, UserID: userID, CreatedAt: now, ExpiresAt: now.Add(PasswordLinkTTL)}); err != nil {
		return "", err
	}
	return s.link("/a", token), nil
}

// TokenInfo tells a page what a one-time link is for, without using it.
func (s *Service) TokenInfo(ctx context.Context, token string) (board.AccountToken, board.User, error) {
	hash := secret.Hash(token)
	if t, err := s.store.AccountToken(ctx, hash, board.TokenSetup, s.now()); err == nil {
		return t, board.User{}, nil
	}
	t, err := s.store.AccountToken(ctx, hash, board.TokenPassword, s.now())
	if err != nil {
		return t, board.User{}, err
	}
	u, err := s.store.User(ctx, t.UserID)
	if err != nil || u.Disabled {
		return t, u, board.ErrNotFound
	}
	return t, u, nil
}

// SetupAllowed reports whether address may try a setup or password link now.
func (s *Service) SetupAllowed(address string) bool { return s.setup.Allow(address, s.now()) }

// CompleteSetup uses a setup link: it creates the first administrator with a password
// and signs them in.
func (s *Service) CompleteSetup(ctx context.Context, token string, u board.User, pw, address string) (board.User, string, error) {
	s.setup.Hit(address, s.now())
	if err := CleanUser(ctx, s.store, &u); err != nil {
		return u, "", err
	}
	if err := auth.CheckPolicy(pw); err != nil {
		return u, "", &board.Error{Code: board.CodeInvalid, Field: "password", Key: "account.invalid.password", Args: []any{"count", auth.MinPasswordLen}}
	}
	if _, err := s.store.UseAccountToken(ctx, secret.Hash(token), board.TokenSetup, s.now()); err != nil {
		return u, "", err
	}
	u.ID, u.CreatedAt, u.Admin, u.PasswordHash = secret.ID(16), s.now(), true, auth.Hash(pw)
	if err := s.store.CreateUser(ctx, u); err != nil {
		return u, "", err
	}
	if err := s.store.AppendAudit(ctx, Actor{User: u, Address: address}.entry(board.AuditSetup, s.now(), "user "+u.ID)); err != nil {
		return u, "", err
	}
	sess, err := s.startSession(ctx, u)
	return u, sess, err
}

// SetPasswordWithLink uses a password link: the user's new password is set, a forced
// change is cleared, every other session of theirs ends, and they are signed in.
func (s *Service) SetPasswordWithLink(ctx context.Context, token, pw, address string) (board.User, string, error) {
	s.setup.Hit(address, s.now())
	if err := auth.CheckPolicy(pw); err != nil {
		return board.User{}, "", &board.Error{Code: board.CodeInvalid, Field: "password", Key: "account.invalid.password", Args: []any{"count", auth.MinPasswordLen}}
	}
	t, err := s.store.UseAccountToken(ctx, secret.Hash(token), board.TokenPassword, s.now())
	if err != nil {
		return board.User{}, "", err
	}
	u, err := s.store.User(ctx, t.UserID)
	if err != nil || u.Disabled {
		return u, "", board.ErrNotFound
	}
	return s.setPassword(ctx, u, pw, address)
}

// ChangePassword is a signed-in user changing their own password.
func (s *Service) ChangePassword(ctx context.Context, u board.User, current, pw, address string) (string, error) {
	if !auth.Verify(u.PasswordHash, current) {
		return "", &board.Error{Code: board.CodeInvalid, Field: "current", Key: "account.invalid.current_password"}
	}
	if err := auth.CheckPolicy(pw); err != nil {
		return "", &board.Error{Code: board.CodeInvalid, Field: "password", Key: "account.invalid.password", Args: []any{"count", auth.MinPasswordLen}}
	}
	_, sess, err := s.setPassword(ctx, u, pw, address)
	return sess, err
}

func (s *Service) setPassword(ctx context.Context, u board.User, pw, address string) (board.User, string, error) {
	u.PasswordHash, u.MustChangePassword = auth.Hash(pw), false
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return u, "", err
	}
	if err := s.store.DeleteUserSessions(ctx, u.ID); err != nil {
		return u, "", err
	}
	if err := s.store.AppendAudit(ctx, Actor{User: u, OrgName: s.orgName(ctx, u.OrgID), Address: address}.entry(board.AuditPasswordSet, s.now(), "user "+u.ID)); err != nil {
		return u, "", err
	}
	sess, err := s.startSession(ctx, u)
	return u, sess, err
}

// Login checks an e-mail address and password. Failed attempts count against the account
// and the address; over the limit, even a right password is refused with ErrRateLimited.
func (s *Service) Login(ctx context.Context, email, pw, address string) (board.User, string, error) {
	now := s.now()
	email = strings.ToLower(strings.TrimSpace(email))
	if len(email) > 254 {
		email = email[:254]
	}
	if !s.perAccount.Allow(email, now) || !s.perAddress.Allow(address, now) {
		_ = s.store.AppendAudit(ctx, board.AuditEntry{At: now, ActorName: email, Action: board.AuditLoginFailed, Target: "rate limited", Address: address})
		return board.User{}, "", ErrRateLimited
	}
	u, err := s.store.UserByEmail(ctx, email)
	switch {
	case errors.Is(err, board.ErrNotFound):
		auth.VerifyNoUser(pw)
	case err != nil:
		return u, "", err
	}
	if err != nil || u.Disabled || !auth.Verify(u.PasswordHash, pw) {
		s.perAccount.Hit(email, now)
		s.perAddress.Hit(address, now)
		e := board.AuditEntry{At: now, UserID: u.ID, ActorName: email, Action: board.AuditLoginFailed, Address: address}
		if u.ID != "" {
			e.ActorName, e.OrgID, e.OrgName = u.Name, u.OrgID, s.orgName(ctx, u.OrgID)
		}
		if aerr := s.store.AppendAudit(ctx, e); aerr != nil {
			return board.User{}, "", aerr
		}
		return board.User{}, "", ErrBadLogin
	}
	s.perAccount.Reset(email)
	if err := s.store.AppendAudit(ctx, Actor{User: u, OrgName: s.orgName(ctx, u.OrgID), Address: address}.entry(board.AuditLogin, now, "")); err != nil {
		return u, "", err
	}
	sess, err := s.startSession(ctx, u)
	return u, sess, err
}

// RetryAfter says how long a rate-limited e-mail or address must wait.
func (s *Service) RetryAfter(email, address string) time.Duration {
	now := s.now()
	a := s.perAccount.RetryAfter(strings.ToLower(strings.TrimSpace(email)), now)
	b := s.perAddress.RetryAfter(address, now)
	return max(a, b)
}

func (s *Service) startSession(ctx context.Context, u board.User) (string, error) {
	token, hash := secret.NewToken()
	now := s.now()
	err := s.store.CreateUserSession(ctx, board.UserSession{TokenHash: hash, UserID: u.ID, CreatedAt: now, LastSeen: now, ExpiresAt: now.Add(SessionMax)})
	return token, err
}

// Session returns the signed-in user of a session token. An expired, idle, unknown or
// disabled user's session is board.ErrNotFound (and an idle or disabled one is ended).
func (s *Service) Session(ctx context.Context, token string) (board.User, board.UserSession, error) {
	if token == "" || len(token) > 100 {
		return board.User{}, board.UserSession{}, board.ErrNotFound
	}
	now := s.now()
	hash := secret.Hash(token)
	ss, err := s.store.UserSessionByHash(ctx, hash, now)
	if err != nil {
		return board.User{}, ss, err
	}
	u, err := s.store.User(ctx, ss.UserID)
	if err != nil || u.Disabled || ss.Expired(now, SessionIdle) {
		_ = s.store.DeleteUserSession(ctx, hash)
		return board.User{}, ss, board.ErrNotFound
	}
	// Write last-seen at most once a minute: a page load is not worth a disk write.
	if now.Sub(ss.LastSeen) > time.Minute {
		if err := s.store.TouchUserSession(ctx, hash, now); err != nil {
			return u, ss, err
		}
		ss.LastSeen = now
	}
	return u, ss, nil
}

// Logout ends one session.
func (s *Service) Logout(ctx context.Context, token string, u board.User, address string) error {
	if err := s.store.DeleteUserSession(ctx, secret.Hash(token)); err != nil {
		return err
	}
	return s.store.AppendAudit(ctx, Actor{User: u, OrgName: s.orgName(ctx, u.OrgID), Address: address}.entry(board.AuditLogout, s.now(), ""))
}

func (s *Service) orgName(ctx context.Context, id string) string {
	if id == "" {
		return ""
	}
	o, err := s.store.Organisation(ctx, id)
	if err != nil {
		return ""
	}
	return o.Name
}

// OrgName is the name of an organisation, or "" (for audit rows).
func (s *Service) OrgName(ctx context.Context, id string) string { return s.orgName(ctx, id) }
