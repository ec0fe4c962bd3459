-- Schema v14: breach records (issue 7, point 2; GDPR Art. 33(5): "document any personal data
-- breaches, comprising the facts, its effects and the remedial action taken"). A case keeps the
-- moment the organisation became aware (the 72-hour deadline runs from it), its decision once
-- (notified, with the authority's reference; or not notifiable, with the reasoning), and a log of
-- entries: phased updates (Art. 33(4)) and the scoping runs made for it. Entries are appended,
-- never edited; a correction is a new entry. No citizen's personal data is stored here: a scope
-- entry keeps the target, the window and the counts.
CREATE TABLE breach_cases (
    id               UUID PRIMARY KEY,
    organisation_id  UUID NOT NULL REFERENCES organisations(id),
    title            TEXT NOT NULL,
    aware_at         BIGINT NOT NULL,
    opened_by        UUID NOT NULL,
    opened_at        BIGINT NOT NULL,
    decision         TEXT CHECK (decision IN ('notified', 'not_notifiable')),
    decision_text    TEXT,                    -- the authority's reference, or the reasoning
    decided_by       UUID,
    decided_at       BIGINT,
    CHECK ((decision IS NULL) = (decided_at IS NULL))
);
CREATE INDEX breach_cases_by_org ON breach_cases(organisation_id, aware_at);

CREATE TABLE breach_case_entries (
    id        UUID PRIMARY KEY,
    case_id   UUID NOT NULL REFERENCES breach_cases(id),
    at        BIGINT NOT NULL,
    by_user   UUID,
    by_label  TEXT NOT NULL,
    kind      TEXT NOT NULL CHECK (kind IN ('update', 'scope')),
    body      TEXT NOT NULL                   -- the update's text, or the scope run as JSON
);
CREATE INDEX breach_case_entries_by_case ON breach_case_entries(case_id, at);
