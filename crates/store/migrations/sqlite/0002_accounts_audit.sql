-- Accounts, roles over areas, sessions, API tokens, the audit trail, publication.
-- Keep in step with ../postgres/0002_accounts_audit.sql.

CREATE TABLE app_user (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE role_grant (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES app_user (id),
    role TEXT NOT NULL,
    department_code TEXT REFERENCES department (code),
    area_code TEXT NOT NULL REFERENCES area (code),
    created_at TEXT NOT NULL
);
CREATE UNIQUE INDEX role_grant_unique ON role_grant (user_id, role, COALESCE(department_code, ''), area_code);

-- Wrong passwords, for rate limiting (the sixth in a minute locks the account).
CREATE TABLE login_failure (
    username TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX login_failure_user ON login_failure (username, at);

-- Sessions are looked up by the SHA-256 of the cookie value: a copy of this table does not
-- let anyone sign in.
CREATE TABLE session (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES app_user (id),
    csrf_token TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ip TEXT
);

-- Machine tokens: shown once, stored hashed, scoped, expiring, revocable.
CREATE TABLE api_token (
    id INTEGER PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES app_user (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    department_code TEXT REFERENCES department (code),
    area_code TEXT NOT NULL REFERENCES area (code),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT
);

-- Append-only, hash-chained: hash = SHA-256(prev_hash, fields). `audit_head` holds the last
-- link so that deleting the newest records is detected too.
CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    ip TEXT,
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    old_value TEXT,
    new_value TEXT,
    reason TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor);
CREATE INDEX audit_log_action ON audit_log (action);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);

-- Who loaded a batch, which area it covers, and whether its figures are public.
ALTER TABLE batch ADD COLUMN actor TEXT NOT NULL DEFAULT 'system';
ALTER TABLE batch ADD COLUMN scope_area TEXT;
ALTER TABLE batch ADD COLUMN published_at TEXT;
