package webui

import (
	"net/http"

	"github.com/labstack/echo/v4"
)

// handleChainSVG answers the chain diagram as SVG.
func (s *Server) handleChainSVG(c echo.Context) error {
	if _, err := s.chainFor(c); err != nil {
		return err
	}
	return echo.NewHTTPError(http.StatusNotImplemented, "chain diagrams are not available yet")
}
