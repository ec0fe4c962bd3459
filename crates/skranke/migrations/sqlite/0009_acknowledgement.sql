-- Skranke schema v9: delivery is tracked until a person acts on it (RS-40, issue 6).
--
-- A sent staff notification is acknowledged when someone with access opens its link while
-- signed in, or acts on the visit it is about (`subject_ref`, e.g. `visit:<id>`, kept after the
-- body is cleared: an id, not a name). Notifications to an address that stay unacknowledged past
-- a threshold raise one alert (`silence_alerted_at` marks the rows it covered).
ALTER TABLE outbox ADD COLUMN subject_ref TEXT;
ALTER TABLE outbox ADD COLUMN acknowledged_at INTEGER;
ALTER TABLE outbox ADD COLUMN acknowledged_by BLOB;
ALTER TABLE outbox ADD COLUMN silence_alerted_at INTEGER;
CREATE INDEX outbox_unacknowledged ON outbox(address_id, sent_at)
    WHERE status = 'sent' AND acknowledged_at IS NULL AND subject_ref IS NOT NULL;
CREATE INDEX outbox_by_subject ON outbox(subject_ref) WHERE subject_ref IS NOT NULL;
