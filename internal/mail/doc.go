// Package mail renders, queues and delivers the mails Gatehouse sends: email
// verification, password resets, email-change confirmations and notices,
// invitations, and the "someone tried to sign up with your address" warning.
//
// A request never talks to a mail server. It calls Outbox.Queue inside the
// transaction of the change that causes the mail, so the rendered mail is
// written to the store's outbox with the change, or not at all. A Sender
// running beside the server claims due mails from the outbox, hands them to a
// Transport (SMTP in production) and retries failures with exponential
// back-off; claims are leased, so any number of replicas may run a Sender on
// one database and each mail is sent by one of them at a time. Without a
// transport (the embedded default) mails are stored, not sent, and an admin
// reads them through OutboxLog.
//
// Every message kind has a default subject (text/template), plain-text body
// (text/template) and HTML body (html/template), embedded in the binary; a
// tenant may override any of the three parts per kind (Template), checked by
// ValidateTemplate before it is saved. Templates read the string fields of
// the data map: Link, Name, Email, NewEmail, Tenant, ExpiresIn, Inviter and
// Organization. Link is the one secret a mail may hold: the single-use link
// the caller made; no other field carries secrets, and Queue refuses keys it
// does not know. Values lose their control characters, the rendered subject
// is one line of bounded length, and the recipient must be a single bare
// address, so nothing a user types can add a header or a recipient.
package mail
