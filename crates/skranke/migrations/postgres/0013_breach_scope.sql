-- Schema v13: breach scoping (issue 7, RS-50). "Every message delivered to this address, or to
-- any address of this registrable domain, between two instants" reads the address rows by
-- address or domain, then each one's delivered messages in time order from one index range,
-- so a scope over ten million messages costs what it finds, not what the table holds.
-- Local parts keep the case they were typed in; a scope matches any case.
CREATE INDEX addresses_by_address ON addresses(lower(address));
CREATE INDEX outbox_sent_by_address ON outbox(address_id, sent_at) WHERE status = 'sent';
