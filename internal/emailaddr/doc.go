// Package emailaddr is the one rule for email addresses: which addresses
// Gatehouse accepts, and the one spelling it stores, compares and mails to.
// Users, admins, invitations, signup, email changes, login and the mailer all
// go through Normalize, so two spellings of one address are one account, and
// an address accepted for an account can always be mailed.
package emailaddr
