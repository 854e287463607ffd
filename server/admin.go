package server

import "github.com/labstack/echo/v4"

// adminRoutes registers the administration: organisations, staff users, the audit log.
func (s *Server) adminRoutes(g *echo.Group) {}
