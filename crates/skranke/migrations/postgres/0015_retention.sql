-- Schema v15: retention (issue 7, point 3). Each organisation may shorten or lengthen how long a
-- class of personal data is kept (skranke_core::retention: defaults, minimums); a row here
-- overrides the default of one class. The indexes let the retention job find what is due in
-- small batches, oldest first, without reading what is not.
CREATE TABLE retention_settings (
    organisation_id  UUID NOT NULL REFERENCES organisations(id),
    class            TEXT NOT NULL,
    days             BIGINT NOT NULL CHECK (days > 0),
    updated_by       UUID NOT NULL,
    updated_at       BIGINT NOT NULL,
    PRIMARY KEY (organisation_id, class)
);
-- Bookings that still name their citizen (anonymising blanks the name).
CREATE INDEX appointments_identity_due ON appointments(ends_at) WHERE citizen_name <> '';
CREATE INDEX appointments_expired_due ON appointments(updated_at) WHERE status = 'expired';
CREATE INDEX addresses_unverified_due ON addresses(created_at) WHERE state = 'unverified';
-- Messages whose content is still there, and every message by delivery time.
CREATE INDEX outbox_body_due ON outbox(sent_at) WHERE payload <> '{}';
CREATE INDEX outbox_by_sent_at ON outbox(sent_at);
