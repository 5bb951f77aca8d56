package server

import "github.com/gatehouse-iam/gatehouse/internal/authn"

// UseOpaqueVerifier makes the bearer chain verify secrets starting with
// prefix with a, as the machine-identity capabilities will register theirs.
// Call it before the server answers requests.
func (s *Server) UseOpaqueVerifier(prefix string, a authn.Authenticator) {
	s.authn = authn.NewChain(s.account, map[string]authn.Authenticator{prefix: a})
}
