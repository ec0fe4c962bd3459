-- Skranke schema v7 (PostgreSQL): a change to a centre's visits or desks announces the centre on
-- the `skranke_board` channel from inside the changing transaction, so every app instance's live
-- hub hears it when (and only if) the change commits, without a separate round trip. PostgreSQL
-- delivers identical notifications of one transaction once.
CREATE FUNCTION skranke_announce_board() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('skranke_board', NEW.centre_id::text);
    IF TG_OP = 'UPDATE' AND OLD.centre_id IS DISTINCT FROM NEW.centre_id THEN
        PERFORM pg_notify('skranke_board', OLD.centre_id::text);
    END IF;
    RETURN NULL;
END;
$$;

CREATE TRIGGER visits_announce_board AFTER INSERT OR UPDATE ON visits
    FOR EACH ROW EXECUTE FUNCTION skranke_announce_board();
CREATE TRIGGER desks_announce_board AFTER INSERT OR UPDATE ON desks
    FOR EACH ROW EXECUTE FUNCTION skranke_announce_board();
