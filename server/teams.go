package server

import "github.com/labstack/echo/v4"

// teamRoutes registers the coordinator's pages: my teams, a team, its members, consent,
// meetings and personal links.
func (s *Server) teamRoutes(g *echo.Group) {}
