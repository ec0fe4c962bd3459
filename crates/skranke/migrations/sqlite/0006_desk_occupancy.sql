-- Skranke schema v6: who works at a desk, and which queues the desk calls from. A staff member
-- sits down at a desk and picks its queues; the waiting-time estimate counts occupied desks as
-- the staff on duty for a queue. Leaving (or another person taking the desk over) clears it.
ALTER TABLE desks ADD COLUMN occupant_id BLOB REFERENCES users(id);
ALTER TABLE desks ADD COLUMN queue_ids TEXT NOT NULL DEFAULT '[]';   -- JSON array of queue ids
ALTER TABLE desks ADD COLUMN occupied_at INTEGER;
