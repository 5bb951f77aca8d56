package mail

import "crypto/x509"

// SetRootCAs makes s trust pool, for test servers with their own certificate.
func SetRootCAs(s *SMTP, pool *x509.CertPool) { s.tlsConfig.RootCAs = pool }
