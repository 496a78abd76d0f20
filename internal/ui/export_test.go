package ui

// What the external tests (package ui_test, which may import testenv)
// read of the package's insides.
const (
	ContentSecurityPolicy = contentSecurityPolicy
	FragmentHeader        = fragmentHeader
	PageSize              = pageSize
	ReportingController   = reportingController
	CSRFCookie            = csrfCookie
)

// CSRFToken is the token of a browser's CSRF cookie.
func (s *Server) CSRFToken(cookie string) string { return s.csrf.sign(cookie) }
