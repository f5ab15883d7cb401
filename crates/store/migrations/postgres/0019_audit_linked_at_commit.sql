-- The audit chain is linked at commit. A change's transaction writes its records here, without
-- their place in the chain and without taking the chain's turn; at its commit a deferred
-- trigger takes the head row (`FOR UPDATE`), links the transaction's records into `audit_log`
-- in the order they were written, moves the head, and removes them from here. The turn is held
-- only from that trigger to the end of the commit, inside the server: no round trip to the
-- application waits while the chain is locked. A transaction that rolls back leaves nothing
-- here. The hash is the one `link_hash` (crates/store/src/audit.rs) computes and
-- `verify_audit` checks: SHA-256 over the fields, each prefixed by its length in bytes as a
-- little-endian u64, a missing field as eight 0xff bytes.
CREATE TABLE audit_pending (
    id BIGSERIAL PRIMARY KEY,
    tx BIGINT NOT NULL DEFAULT txid_current(),
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    ip TEXT,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    reason TEXT NOT NULL
);
CREATE INDEX audit_pending_tx ON audit_pending (tx);

-- One field of a link: its length in bytes as a little-endian u64, then its UTF-8 bytes; NULL
-- as eight 0xff bytes. PL/pgSQL, not SQL: its expressions are planned once per session (a SQL
-- function called from the trigger was planned anew at every call).
CREATE FUNCTION audit_field(f TEXT) RETURNS BYTEA LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    b BYTEA;
    n BIGINT;
BEGIN
    IF f IS NULL THEN
        RETURN '\xffffffffffffffff'::bytea;
    END IF;
    b := convert_to(f, 'UTF8');
    n := length(b);
    RETURN set_byte(set_byte(set_byte(set_byte(set_byte(set_byte(set_byte(set_byte('\x0000000000000000'::bytea,
        0, (n & 255)::int), 1, ((n >> 8) & 255)::int), 2, ((n >> 16) & 255)::int), 3, ((n >> 24) & 255)::int),
        4, ((n >> 32) & 255)::int), 5, ((n >> 40) & 255)::int), 6, ((n >> 48) & 255)::int), 7, ((n >> 56) & 255)::int) || b;
END
$$;

CREATE FUNCTION audit_link_pending() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head_seq BIGINT;
    head_hash TEXT;
    r RECORD;
    h TEXT;
BEGIN
    -- One firing per record; the first links them all, the others find none.
    IF NOT EXISTS (SELECT 1 FROM audit_pending WHERE tx = txid_current()) THEN
        RETURN NULL;
    END IF;
    SELECT seq, hash INTO head_seq, head_hash FROM audit_head WHERE id = 1 FOR UPDATE;
    IF NOT FOUND THEN
        -- The database's first record: the head row does not exist yet to be locked.
        PERFORM pg_advisory_xact_lock(724302);
        SELECT seq, hash INTO head_seq, head_hash FROM audit_head WHERE id = 1 FOR UPDATE;
        IF NOT FOUND THEN
            head_seq := 0;
            head_hash := '0000000000000000000000000000000000000000000000000000000000000000';
        END IF;
    END IF;
    FOR r IN SELECT * FROM audit_pending WHERE tx = txid_current() ORDER BY id LOOP
        head_seq := head_seq + 1;
        h := encode(sha256(audit_field(head_hash) || audit_field(head_seq::text) || audit_field(r.at) || audit_field(r.actor)
            || audit_field(r.ip) || audit_field(r.action) || audit_field(r.entity) || audit_field(r.entity_id)
            || audit_field(r.old_value) || audit_field(r.new_value) || audit_field(r.reason)), 'hex');
        INSERT INTO audit_log (seq, at, actor, ip, action, entity, entity_id, old_value, new_value, reason, prev_hash, hash)
            VALUES (head_seq, r.at, r.actor, r.ip, r.action, r.entity, r.entity_id, r.old_value, r.new_value, r.reason, head_hash, h);
        head_hash := h;
    END LOOP;
    DELETE FROM audit_pending WHERE tx = txid_current();
    INSERT INTO audit_head (id, seq, hash) VALUES (1, head_seq, head_hash)
        ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER audit_pending_link AFTER INSERT ON audit_pending
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION audit_link_pending();
