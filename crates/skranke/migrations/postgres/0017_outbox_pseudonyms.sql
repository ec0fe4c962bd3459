-- Schema v17: breach scoping names citizens through the audit's pseudonyms (issue 7, point 4).
--
-- A delivered message to anyone outside the organisation keeps its recipient's keyed pseudonym
-- (the one its `mail.sent` audit entry names). Retention blanks the recipient's address after
-- the citizen-identity period; the pseudonym stays, so a scope by address still finds the
-- message (it computes the address's pseudonym), and while `audit_pseudonyms` still maps the
-- pseudonym the scope names the address. Messages sent before v17 have none: they are found
-- by their address while it is held.
ALTER TABLE outbox ADD COLUMN recipient_pseudonym TEXT;
CREATE INDEX outbox_recipient_pseudonym ON outbox(recipient_pseudonym) WHERE recipient_pseudonym IS NOT NULL;
